package dev.paird.protocol;

import java.util.Optional;

/**
 * Why an exchange failed, as the one body byte of an ERROR frame. Deliberately coarse: the server
 * never says whether a key exists, expired, was used or was burned.
 */
public enum ErrorReason {
  /** The key did not prove out. Sent for every key failure alike. */
  REJECTED(0x01),
  /** A frame was malformed: unknown type, wrong length, or a share that is not a valid point. */
  MALFORMED(0x02),
  /** A well-formed frame arrived where the exchange does not allow it. */
  UNEXPECTED(0x03),
  /** Too many connections or attempts; try again later. */
  BUSY(0x04),
  /** The exchange took longer than the server allows. */
  TIMEOUT(0x05),
  /** Ping: the server does not trust the client's certificate. */
  NOT_TRUSTED(0x06),
  /** The server could not finish, for example could not save its trusted list. */
  INTERNAL(0x07);

  private final int code;

  ErrorReason(int code) {
    this.code = code;
  }

  public int code() {
    return code;
  }

  public static Optional<ErrorReason> fromCode(int code) {
    for (ErrorReason reason : values()) {
      if (reason.code == code) {
        return Optional.of(reason);
      }
    }
    return Optional.empty();
  }
}
