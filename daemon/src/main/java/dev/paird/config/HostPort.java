package dev.paird.config;

import dev.paird.api.Durations;

/**
 * A host and an optional port as a person writes them: {@code host}, {@code host:port}, {@code
 * [v6]}, {@code [v6]:port}, {@code 192.0.2.1:7247}.
 */
public record HostPort(String host, int port) {

  /**
   * Splits {@code value}; a missing port becomes {@code defaultPort}. Returns null when the value
   * is not of this form (bad brackets, a port that is not 1-65535).
   */
  public static HostPort parse(String value, int defaultPort) {
    return parse(value, defaultPort, 1);
  }

  /** As {@link #parse(String, int)}, accepting ports from {@code minPort} (0 or 1) up. */
  static HostPort parse(String value, int defaultPort, int minPort) {
    if (value == null) {
      return null;
    }
    String text = value.strip();
    String host;
    String port = null;
    if (text.startsWith("[")) {
      int close = text.indexOf(']');
      if (close < 0) {
        return null;
      }
      host = text.substring(1, close);
      String rest = text.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          return null;
        }
        port = rest.substring(1);
      }
    } else {
      int colon = text.lastIndexOf(':');
      if (colon >= 0 && text.indexOf(':') != colon) {
        host = text; // a bare IPv6 address: no port
      } else if (colon >= 0) {
        host = text.substring(0, colon);
        port = text.substring(colon + 1);
      } else {
        host = text;
      }
    }
    int portNumber = defaultPort;
    if (port != null) {
      if (port.isEmpty() || port.length() > 5 || !Durations.isAsciiDigits(port)) {
        return null;
      }
      portNumber = Integer.parseInt(port);
      if (portNumber < minPort || portNumber > 65535) {
        return null;
      }
    }
    if (host.chars()
        .anyMatch(
            c -> Character.isWhitespace(c) || Character.isISOControl(c) || c == '/' || c == '@')) {
      return null;
    }
    return new HostPort(host, portNumber);
  }

  @Override
  public String toString() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return port > 0 ? h + ":" + port : h;
  }
}
