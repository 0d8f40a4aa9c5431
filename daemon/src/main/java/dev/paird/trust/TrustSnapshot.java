package dev.paird.trust;

import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The trusted list as readers see it, never changed once made: the peers in list order ({@link
 * TrustFiles#ORDER}) and the same peers sorted by fingerprint, to look one up.
 *
 * <p>A change makes the next snapshot by copying both arrays and changing each at the one place a
 * binary search finds: copying 10,000 references takes microseconds, where sorting the whole list
 * again and hashing every fingerprint into a new map took two thirds of a change's own work at
 * 10,000 peers.
 */
final class TrustSnapshot {
  private static final Comparator<TrustedPeer> BY_FINGERPRINT =
      Comparator.comparing(TrustedPeer::fingerprint);

  private final TrustedPeer[] ordered;
  private final TrustedPeer[] byFingerprint;
  private final List<TrustedPeer> peers;

  private TrustSnapshot(TrustedPeer[] ordered, TrustedPeer[] byFingerprint) {
    this.ordered = ordered;
    this.byFingerprint = byFingerprint;
    this.peers = Collections.unmodifiableList(Arrays.asList(ordered));
  }

  /**
   * The snapshot of {@code peers}, in any order.
   *
   * @throws IllegalArgumentException if two peers have the same fingerprint
   */
  static TrustSnapshot of(List<TrustedPeer> peers) {
    TrustedPeer[] ordered = peers.toArray(new TrustedPeer[0]);
    Arrays.sort(ordered, TrustFiles.ORDER);
    TrustedPeer[] byFingerprint = ordered.clone();
    Arrays.sort(byFingerprint, BY_FINGERPRINT);
    for (int i = 1; i < byFingerprint.length; i++) {
      if (byFingerprint[i].fingerprint().equals(byFingerprint[i - 1].fingerprint())) {
        throw new IllegalArgumentException("two peers with the same fingerprint");
      }
    }
    return new TrustSnapshot(ordered, byFingerprint);
  }

  /** Every peer, in list order; unmodifiable. */
  List<TrustedPeer> peers() {
    return peers;
  }

  int size() {
    return ordered.length;
  }

  /** The peer with this fingerprint, as 64 lowercase hex digits. */
  Optional<TrustedPeer> get(String fingerprint) {
    int low = 0;
    int high = byFingerprint.length - 1;
    while (low <= high) {
      int middle = (low + high) >>> 1;
      int order = byFingerprint[middle].fingerprint().compareTo(fingerprint);
      if (order < 0) {
        low = middle + 1;
      } else if (order > 0) {
        high = middle - 1;
      } else {
        return Optional.of(byFingerprint[middle]);
      }
    }
    return Optional.empty();
  }

  /** This list with {@code peer} in place of the entry with its fingerprint, or added. */
  TrustSnapshot with(TrustedPeer peer) {
    TrustSnapshot without = get(peer.fingerprint()).map(this::without).orElse(this);
    return new TrustSnapshot(
        inserted(without.ordered, peer, TrustFiles.ORDER),
        inserted(without.byFingerprint, peer, BY_FINGERPRINT));
  }

  /** This list without {@code peer}, which it must hold. */
  TrustSnapshot without(TrustedPeer peer) {
    return new TrustSnapshot(
        removed(ordered, peer, TrustFiles.ORDER), removed(byFingerprint, peer, BY_FINGERPRINT));
  }

  private static TrustedPeer[] inserted(
      TrustedPeer[] peers, TrustedPeer peer, Comparator<TrustedPeer> order) {
    int at = Arrays.binarySearch(peers, peer, order);
    if (at >= 0) {
      throw new IllegalArgumentException("the peer is already listed");
    }
    at = -at - 1;
    TrustedPeer[] next = new TrustedPeer[peers.length + 1];
    System.arraycopy(peers, 0, next, 0, at);
    next[at] = peer;
    System.arraycopy(peers, at, next, at + 1, peers.length - at);
    return next;
  }

  private static TrustedPeer[] removed(
      TrustedPeer[] peers, TrustedPeer peer, Comparator<TrustedPeer> order) {
    int at = Arrays.binarySearch(peers, peer, order);
    if (at < 0 || !peers[at].fingerprint().equals(peer.fingerprint())) {
      throw new IllegalArgumentException("the peer is not listed");
    }
    TrustedPeer[] next = new TrustedPeer[peers.length - 1];
    System.arraycopy(peers, 0, next, 0, at);
    System.arraycopy(peers, at + 1, next, at, peers.length - at - 1);
    return next;
  }
}
