package dev.paird.net;

import java.io.IOException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The reason an I/O or TLS operation failed, in words a user can act on: the operating system's or
 * the TLS library's text, without the name of the native call Netty prefixes it with ({@code
 * "finishConnect(..) failed: Connection refused"} gives {@code "Connection refused"}). Anything
 * that is not an {@link IOException} is a programming error, whose text is for the log, not for the
 * user: it gives empty.
 */
final class IoReasons {
  private static final Pattern NATIVE_CALL = Pattern.compile("^\\w+\\(\\.\\.\\) failed: ");

  private IoReasons() {}

  static Optional<String> of(Throwable cause) {
    if (!(cause instanceof IOException) || cause.getMessage() == null) {
      return Optional.empty();
    }
    String text = NATIVE_CALL.matcher(cause.getMessage()).replaceFirst("");
    return text.isBlank() ? Optional.empty() : Optional.of(text);
  }
}
