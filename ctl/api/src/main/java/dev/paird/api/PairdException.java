package dev.paird.api;

import java.util.Objects;

/**
 * The one exception paird and pairctl throw for expected failures: an {@link ErrorCode} and a
 * message for a person that says what went wrong and what to do.
 *
 * <p>Messages never contain secret material (keys, codes, MACs); code that builds one from user
 * input names the input's role, not its value.
 */
public final class PairdException extends Exception {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public PairdException(ErrorCode code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public PairdException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  public ErrorCode code() {
    return code;
  }
}
