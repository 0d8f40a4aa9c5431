package dev.paird.keys;

import java.util.Objects;
import java.util.Optional;

/** How a pending key ended: used by a peer, or not. */
public record KeyOutcome(
    Status status, Optional<String> peerFingerprint, Optional<String> peerSubject) {

  /** The ways a pending key leaves the map. */
  public enum Status {
    /** A peer proved it knew the key and is now trusted. */
    PAIRED,
    /** The key's lifetime ran out. */
    EXPIRED,
    /** Too many failed attempts: the key can no longer be used. */
    BURNED,
    /** Withdrawn by {@code pairctl cancel-key} or at shutdown. */
    CANCELLED,
    /** A peer proved it knew the key, but persisting its trust failed; it is not trusted. */
    FAILED;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public KeyOutcome {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(peerFingerprint, "peerFingerprint");
    Objects.requireNonNull(peerSubject, "peerSubject");
  }

  static KeyOutcome of(Status status) {
    return new KeyOutcome(status, Optional.empty(), Optional.empty());
  }

  static KeyOutcome paired(String fingerprint, String subject) {
    return new KeyOutcome(Status.PAIRED, Optional.of(fingerprint), Optional.of(subject));
  }
}
