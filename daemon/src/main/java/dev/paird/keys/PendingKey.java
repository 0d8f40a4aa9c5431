package dev.paird.keys;

import dev.paird.api.PairingCode;
import dev.paird.api.Suite;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * One key issued by {@code new-key} and not yet used, expired, burned or cancelled. Mutable state
 * is guarded by the owning {@link PendingKeys}' lock.
 */
final class PendingKey {
  final int slot;
  final PairingCode code;

  /** Wall-clock times, for display only. */
  final Instant createdAt;

  final Instant expiresAt;

  /** The monotonic tick at which the key expires: what expiry is decided by. */
  final long expiresAtTick;

  final CompletableFuture<KeyOutcome> outcome = new CompletableFuture<>();
  int attemptsUsed;

  /** A spake2 exchange that reserved one of the attempts is still running. */
  int inFlight;

  PendingKey(int slot, PairingCode code, Instant createdAt, Instant expiresAt, long expiresAtTick) {
    this.slot = slot;
    this.code = code;
    this.createdAt = createdAt;
    this.expiresAt = expiresAt;
    this.expiresAtTick = expiresAtTick;
  }

  boolean expired(long now) {
    return now - expiresAtTick >= 0;
  }

  String id() {
    return PendingKeys.formatId(slot);
  }

  Suite suite() {
    return code.suite();
  }

  @Override
  public String toString() {
    return "PendingKey[id=" + id() + ", suite=" + suite() + ", expiresAt=" + expiresAt + "]";
  }
}
