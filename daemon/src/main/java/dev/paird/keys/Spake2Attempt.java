package dev.paird.keys;

import java.util.Arrays;
import java.util.Optional;

/**
 * One spake2 exchange's use of a pending key: holds a copy of the secret digits for deriving the
 * password scalar, and must be ended exactly once with {@link #succeeded()} or {@link #failed()}.
 */
public final class Spake2Attempt {
  private final PendingKeys owner;
  final PendingKey key;
  private final byte[] secretDigits;
  private boolean ended;

  Spake2Attempt(PendingKeys owner, PendingKey key, byte[] secretDigits) {
    this.owner = owner;
    this.key = key;
    this.secretDigits = secretDigits;
  }

  /** A copy of the secret digits (ASCII); the caller wipes it. */
  public byte[] secretDigits() {
    if (ended) {
      throw new IllegalStateException("attempt already ended");
    }
    return secretDigits.clone();
  }

  /** The peer's confirmation verified: claims the key unless it expired or was taken meanwhile. */
  public Optional<Claim> succeeded() {
    return end(true);
  }

  /** The peer's confirmation did not verify (or the exchange broke off). */
  public void failed() {
    end(false);
  }

  private Optional<Claim> end(boolean success) {
    if (ended) {
      throw new IllegalStateException("attempt already ended");
    }
    ended = true;
    Arrays.fill(secretDigits, (byte) 0);
    return owner.endSpake2(this, success);
  }

  @Override
  public String toString() {
    return "Spake2Attempt[id=" + key.id() + "]";
  }
}
