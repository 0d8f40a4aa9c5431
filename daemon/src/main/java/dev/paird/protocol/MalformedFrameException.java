package dev.paird.protocol;

/** Bytes that are not a valid frame: the peer is answered with ERROR MALFORMED and dropped. */
public final class MalformedFrameException extends Exception {
  private static final long serialVersionUID = 1L;

  public MalformedFrameException(String message) {
    super(message);
  }
}
