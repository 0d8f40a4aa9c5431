package dev.paird.keys;

import dev.paird.api.PairingCode;
import dev.paird.protocol.KeyLedger;

/** {@link PendingKeys}' claim on one key, handed out at most once per key. */
final class ClaimedKey implements KeyLedger.Claim {
  private final PendingKeys owner;
  final PendingKey key;

  ClaimedKey(PendingKeys owner, PendingKey key) {
    this.owner = owner;
    this.key = key;
  }

  @Override
  public PairingCode code() {
    return key.code;
  }

  /** The key's public id. */
  String id() {
    return key.id();
  }

  /** Reports the peer to {@code wait-key} and wipes the key. */
  @Override
  public void paired(KeyLedger.Peer peer) {
    owner.settle(this, KeyOutcome.paired(peer.fingerprint(), peer.subject()));
  }

  /** Wipes the key; {@code wait-key} hears that the pairing failed. */
  @Override
  public void failed() {
    owner.settle(this, KeyOutcome.of(KeyOutcome.Status.FAILED));
  }

  @Override
  public String toString() {
    return "ClaimedKey[id=" + id() + "]";
  }
}
