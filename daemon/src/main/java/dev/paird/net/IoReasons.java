package dev.paird.net;

import java.io.IOException;
import java.net.NoRouteToHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The reason an I/O or TLS operation failed, in words a user can act on: the operating system's or
 * the TLS library's text, without what Netty puts around it: the native call and errno before it
 * and the remote address after it ({@code "finishConnect(..) failed with error(-111): Connection
 * refused: /127.0.0.1:7247"} gives {@code "Connection refused"}; the caller names the address in
 * its own words). Anything that is not an {@link IOException} is a programming error, whose text is
 * for the log, not for the user: it gives empty.
 */
final class IoReasons {
  private static final Pattern NATIVE_CALL =
      Pattern.compile("^\\w+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: ");

  /** The address Netty appends to a failed connect's text: {@code ": /192.0.2.1:7247"}. */
  private static final Pattern REMOTE_ADDRESS = Pattern.compile(": [^ /]*/[^ ]+$");

  private IoReasons() {}

  static Optional<String> of(Throwable cause) {
    if (!(cause instanceof IOException)) {
      return Optional.empty();
    }
    String text = cause.getMessage() == null ? "" : cause.getMessage();
    text = NATIVE_CALL.matcher(text).replaceFirst("");
    text = REMOTE_ADDRESS.matcher(text).replaceFirst("");
    if (!text.isBlank() && !text.equals("null")) {
      return Optional.of(text);
    }
    // An exception without text, which Netty writes as "null" before the address: Netty's epoll
    // transport throws a NoRouteToHostException without text for ENETUNREACH, a network that no
    // route leads to (an IPv6 address on a host without IPv6, a broadcast address).
    return cause instanceof NoRouteToHostException
            || cause.getCause() instanceof NoRouteToHostException
        ? Optional.of("Network is unreachable")
        : Optional.empty();
  }
}
