/**
 * Flags and help text for the `-Y` option, so every command spells it alike. In a module of their
 * own so that registering the commands does not load the filter compiler and the field registry.
 */
export const DISPLAY_FILTER_FLAGS = '-Y, --display-filter <filter>';
export const DISPLAY_FILTER_HELP = 'only packets matching a Wireshark display filter, e.g. "tcp.port == 80" (wirelens fields lists the names)';
