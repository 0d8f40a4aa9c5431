package dev.paird.protocol.spake2;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.math.ec.ECPoint;

/**
 * One side of one SPAKE2 run (RFC 9382, SPAKE2-P256-SHA256-HKDF-HMAC): it holds a fresh scalar x
 * (role A) or y (role B), offers its {@link #share()}, and turns the peer's share into a {@link
 * Spake2Confirmation} exactly once.
 *
 * <p>What a run guarantees, if the group's gap Diffie-Hellman problem is hard:
 *
 * <ul>
 *   <li>An eavesdropper who records both shares and both confirmations learns nothing against which
 *       it could test guesses of the code offline.
 *   <li>An active attacker who does not know w gets one guess per run: the run's scalar is fresh,
 *       it meets exactly one peer share ({@link #finish} once only), and the confirmations then
 *       tell the attacker only whether that one guess was right.
 *   <li>The confirmations bind both identities, both shares, the shared point K, w and the AAD, so
 *       the two sides accept only if they saw the same run with the same password.
 *   <li>Shares from the peer are checked as RFC 9382 section 7 requires: anything but a 65-byte
 *       uncompressed point of P-256 other than the identity is refused, and so is a share that
 *       makes K the identity.
 * </ul>
 *
 * <p>What it does not guarantee:
 *
 * <ul>
 *   <li>It does not count runs. One guess per run is only worth something if the caller caps the
 *       runs per code (and the code's lifetime).
 *   <li>It does not check identities: it binds whatever bytes it is given. Empty identities are
 *       allowed, as in the RFC's vectors, and are only safe where identities are implicit, or bound
 *       some other way (the AAD, say).
 *   <li>No memory-hard function protects w; see {@link Spake2} for why none is needed here.
 *   <li>Wiping is best effort: {@link #destroy()} and the end of {@link #finish} overwrite the byte
 *       arrays this object owns, but x, y and w are {@link BigInteger}s, which cannot be
 *       overwritten, and BouncyCastle keeps internal copies it does not wipe.
 * </ul>
 *
 * <p>Thread-safe: a run normally lives on one event loop, but a timer may destroy it from another
 * thread.
 */
public final class Spake2Party {
  private enum State {
    STARTED,
    FINISHED,
    DESTROYED
  }

  private final Spake2.Role role;
  private final byte[] share;
  private byte[] idA; // null until known, for a party started without identities
  private byte[] idB;
  private byte[] aad;
  private final byte[] w;
  private BigInteger wValue;
  private BigInteger scalar;
  private ECPoint peerBlind; // w*N for A, w*M for B, once precompute() has run
  private State state = State.STARTED;

  private Spake2Party(
      Spake2.Role role, byte[] idA, byte[] idB, byte[] aad, Spake2Scalar w, BigInteger scalar) {
    this.role = role;
    this.idA = idA == null ? null : idA.clone();
    this.idB = idB == null ? null : idB.clone();
    this.aad = aad == null ? null : aad.clone();
    this.w = w.encoded();
    this.wValue = w.value();
    this.scalar = scalar;
    ECPoint blind = role == Spake2.Role.A ? P256.M : P256.N;
    // pA = x*G + w*M, pB = y*G + w*N
    this.share =
        P256.encode(P256.multiplyFixed(P256.G, scalar).add(P256.multiplyFixed(blind, wValue)));
  }

  /**
   * A party with the given own scalar instead of a random one. Only {@link Spake2#start} and the
   * test vectors call this: a scalar that is not fresh and uniform breaks the protocol.
   */
  static Spake2Party create(
      Spake2.Role role, Spake2Scalar w, byte[] idA, byte[] idB, byte[] aad, BigInteger ownScalar) {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(w, "w");
    Objects.requireNonNull(idA, "idA");
    Objects.requireNonNull(idB, "idB");
    Objects.requireNonNull(aad, "aad");
    if (!P256.isScalar(Objects.requireNonNull(ownScalar, "ownScalar"))) {
      throw new IllegalArgumentException("own scalar must be in [1, n-1]");
    }
    return new Spake2Party(role, idA, idB, aad, w, ownScalar);
  }

  /**
   * A party whose identities and AAD are given to {@link #finish(byte[], byte[], byte[], byte[])}:
   * for a side that wants its share before it knows the peer's identity.
   */
  static Spake2Party createUnbound(Spake2.Role role, Spake2Scalar w, BigInteger ownScalar) {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(w, "w");
    if (!P256.isScalar(Objects.requireNonNull(ownScalar, "ownScalar"))) {
      throw new IllegalArgumentException("own scalar must be in [1, n-1]");
    }
    return new Spake2Party(role, null, null, null, w, ownScalar);
  }

  /** This party's role. */
  public Spake2.Role role() {
    return role;
  }

  /**
   * This party's share, pA or pB, to send to the peer: an uncompressed SEC1 point of {@link
   * Spake2#SHARE_BYTES} bytes. Not secret. A copy.
   */
  public synchronized byte[] share() {
    if (state == State.DESTROYED) {
      throw new IllegalStateException("spake2 party was destroyed");
    }
    return share.clone();
  }

  /**
   * Validates the peer's share, computes K and the transcript, and derives the keys. May be called
   * once per party, whatever its outcome; a new attempt needs a new party.
   *
   * @throws GeneralSecurityException if the peer's share is not acceptable (see the class comment);
   *     the run is over
   * @throws IllegalStateException if called a second time, or after {@link #destroy()}
   */
  public synchronized Spake2Confirmation finish(byte[] peerShare) throws GeneralSecurityException {
    Objects.requireNonNull(peerShare, "peerShare");
    if (state == State.STARTED && idA == null) {
      throw new IllegalStateException(
          "spake2 party was started without identities; give them to finish");
    }
    return finishBound(peerShare);
  }

  /**
   * {@link #finish(byte[])} for a party started without identities ({@link Spake2#start(
   * Spake2.Role, Spake2Scalar, SecureRandom)}): binds {@code idA}, {@code idB} and {@code aad} now,
   * with the meaning {@link Spake2#start(Spake2.Role, Spake2Scalar, byte[], byte[], byte[],
   * SecureRandom)} gives them.
   *
   * @throws IllegalStateException if the party was started with identities, or as {@link
   *     #finish(byte[])} says
   */
  public synchronized Spake2Confirmation finish(
      byte[] peerShare, byte[] idA, byte[] idB, byte[] aad) throws GeneralSecurityException {
    Objects.requireNonNull(peerShare, "peerShare");
    Objects.requireNonNull(idA, "idA");
    Objects.requireNonNull(idB, "idB");
    Objects.requireNonNull(aad, "aad");
    if (state == State.STARTED) {
      if (this.idA != null) {
        throw new IllegalStateException("spake2 party was started with its identities");
      }
      this.idA = idA.clone();
      this.idB = idB.clone();
      this.aad = aad.clone();
    }
    return finishBound(peerShare);
  }

  /**
   * Computes now the part of {@link #finish} that does not depend on the peer's share ({@code w*N}
   * for A, {@code w*M} for B), so that finish has less left to do once the share arrives: for a
   * side with time to spare before then, such as a client waiting for the TLS handshake. Does
   * nothing after the first call or once the run has ended.
   */
  public synchronized void precompute() {
    if (state == State.STARTED && peerBlind == null) {
      peerBlind = P256.multiplyFixed(role == Spake2.Role.A ? P256.N : P256.M, wValue);
    }
  }

  private Spake2Confirmation finishBound(byte[] peerShare) throws GeneralSecurityException {
    if (state != State.STARTED) {
      throw new IllegalStateException(
          state == State.FINISHED
              ? "spake2 finish may be called once per run; start a new party"
              : "spake2 party was destroyed");
    }
    state = State.FINISHED;
    byte[] peer = peerShare.clone();
    byte[] k = null;
    byte[] tt = null;
    KeySchedule keys = null;
    try {
      ECPoint blind =
          peerBlind != null
              ? peerBlind
              : P256.multiplyFixed(role == Spake2.Role.A ? P256.N : P256.M, wValue);
      k = sharedPoint(scalar, blind, peer);
      boolean isA = role == Spake2.Role.A;
      tt = KeySchedule.transcript(idA, idB, isA ? share : peer, isA ? peer : share, k, w);
      keys = KeySchedule.derive(tt, aad);
      return new Spake2Confirmation(role, keys);
    } finally {
      wipe(k);
      wipe(tt);
      if (keys != null) {
        keys.destroy();
      }
      forgetSecrets();
    }
  }

  /** {@link #sharedPoint(BigInteger, ECPoint, byte[])} with the blind computed from {@code w}. */
  static byte[] sharedPoint(Spake2.Role role, BigInteger ownScalar, BigInteger w, byte[] peerShare)
      throws GeneralSecurityException {
    return sharedPoint(
        ownScalar, P256.multiplyFixed(role == Spake2.Role.A ? P256.N : P256.M, w), peerShare);
  }

  /**
   * K as this party computes it, uncompressed: {@code x*(pB - w*N)} for A, {@code y*(pA - w*M)} for
   * B (the cofactor is 1), given {@code blind}, w*N for A and w*M for B. Validates the peer's share
   * first.
   */
  static byte[] sharedPoint(BigInteger ownScalar, ECPoint blind, byte[] peerShare)
      throws GeneralSecurityException {
    ECPoint peer = P256.decodeShare(peerShare);
    ECPoint k = P256.multiplyVariable(peer.subtract(blind), ownScalar).normalize();
    // Happens when the peer sent exactly w*N (or w*M): K would then be known to anyone.
    if (k.isInfinity()) {
      throw new GeneralSecurityException("spake2 shared point is the identity");
    }
    return P256.encode(k);
  }

  /** Ends the run, if it has not ended, and wipes what this party holds. */
  public synchronized void destroy() {
    forgetSecrets();
    Arrays.fill(share, (byte) 0);
    state = State.DESTROYED;
  }

  private void forgetSecrets() {
    wipe(w);
    wipe(idA);
    wipe(idB);
    wipe(aad);
    wValue = null;
    scalar = null;
    peerBlind = null;
  }

  private static void wipe(byte[] bytes) {
    if (bytes != null) {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  @Override
  public synchronized String toString() {
    return "Spake2Party[role=" + role + ", state=" + state + "]";
  }
}
