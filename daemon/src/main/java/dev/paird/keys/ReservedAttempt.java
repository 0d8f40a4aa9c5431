package dev.paird.keys;

import dev.paird.protocol.KeyLedger;
import java.util.Arrays;
import java.util.Optional;

/**
 * {@link PendingKeys}' record of one spake2 exchange's use of a key: holds a copy of the secret
 * digits until the attempt ends, and ends at most once.
 */
final class ReservedAttempt implements KeyLedger.Spake2Attempt {
  private final PendingKeys owner;
  final PendingKey key;
  private final byte[] secretDigits;
  private boolean ended;

  ReservedAttempt(PendingKeys owner, PendingKey key, byte[] secretDigits) {
    this.owner = owner;
    this.key = key;
    this.secretDigits = secretDigits;
  }

  @Override
  public byte[] secretDigits() {
    if (ended) {
      throw new IllegalStateException("attempt already ended");
    }
    return secretDigits.clone();
  }

  @Override
  public Optional<KeyLedger.Claim> succeeded() {
    return end(true);
  }

  @Override
  public void failed() {
    end(false);
  }

  private Optional<KeyLedger.Claim> end(boolean success) {
    if (ended) {
      throw new IllegalStateException("attempt already ended");
    }
    ended = true;
    Arrays.fill(secretDigits, (byte) 0);
    return owner.endSpake2(this, success);
  }

  @Override
  public String toString() {
    return "ReservedAttempt[id=" + key.id() + "]";
  }
}
