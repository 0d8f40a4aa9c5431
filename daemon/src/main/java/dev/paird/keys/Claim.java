package dev.paird.keys;

import dev.paird.api.PairingCode;

/**
 * The right to complete a pairing with one key, handed out at most once per key. The holder
 * computes its last message with {@link #code()}, persists the peer's trust, then calls
 * {@link #paired} or {@link #failed}; either wipes the key.
 */
public final class Claim {
  private final PendingKeys owner;
  final PendingKey key;

  Claim(PendingKeys owner, PendingKey key) {
    this.owner = owner;
    this.key = key;
  }

  /** The claimed key; valid until {@link #paired} or {@link #failed}. */
  public PairingCode code() {
    return key.code;
  }

  /** The key's public id. */
  public String id() {
    return key.id();
  }

  /** The peer is now trusted: reports it to {@code wait-key} and wipes the key. */
  public void paired(String peerFingerprint, String peerSubject) {
    owner.settle(this, KeyOutcome.paired(peerFingerprint, peerSubject));
  }

  /** The pairing could not be completed after the key was claimed; wipes the key. */
  public void failed() {
    owner.settle(this, KeyOutcome.of(KeyOutcome.Status.FAILED));
  }

  @Override
  public String toString() {
    return "Claim[id=" + id() + "]";
  }
}
