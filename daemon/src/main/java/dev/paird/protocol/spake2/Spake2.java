package dev.paird.protocol.spake2;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * SPAKE2 as RFC 9382 defines it, ciphersuite SPAKE2-P256-SHA256-HKDF-HMAC: the entry points that
 * turn a code's secret digits into the password scalar w and start one side of a run.
 *
 * <p>A run, with A the side that initiates:
 *
 * <pre>{@code
 * Spake2Scalar w = Spake2.passwordScalar(secretDigits);      // both sides, from the code
 * Spake2Party a = Spake2.start(Role.A, w, idA, idB, aad, random);
 * send(a.share());                                           // pA
 * Spake2Confirmation c = a.finish(receivedShare);            // pB; throws if invalid
 * send(c.ownConfirmation());
 * if (!c.verifyPeer(receivedConfirmation)) { abort(); }      // one guess spent
 * byte[] ke = c.sharedKey();
 * }</pre>
 *
 * <p>How w is derived, and why it is not a memory-hard function. RFC 9382 says w SHOULD come from a
 * memory-hard function (MHF) such as scrypt, and leaves the choice to the protocol. paird takes
 * {@code w = OS2IP(SHA-512("paird spake2 w v1" || 0x00 || secret digits)) mod n}, a plain hash,
 * because an MHF only slows an attacker who can test guesses offline, and here none can:
 *
 * <ul>
 *   <li>The code is never stored and never sent, not even hashed. It lives in the memory of the two
 *       devices for the minutes before it expires, and then it is wiped.
 *   <li>SPAKE2 gives an eavesdropper nothing to test a guess against, and an active attacker one
 *       guess per run, with the runs per code bounded by whoever holds the pending code. Those
 *       online guesses are the whole attack, and an MHF does not make them any rarer.
 *   <li>The one place an offline test would be possible is the daemon's memory (w, or K with the
 *       transcript). Whoever can read it can read the code there as well, and no affordable MHF
 *       would stand long against a search of 10^8 codes anyway.
 * </ul>
 *
 * An MHF would thus cost every honest run time and memory, on small ARM boards too, and buy
 * nothing. If codes were ever stored (hashed) or reused, this reasoning would no longer hold.
 *
 * <p>The constants M and N are the RFC's points for P-256; they live, with the rest of the group,
 * in the package's {@code P256} class, so that BouncyCastle's types stay out of the API.
 */
public final class Spake2 {
  /** Bytes of a share on the wire: an uncompressed SEC1 point of P-256. */
  public static final int SHARE_BYTES = P256.POINT_BYTES;

  /** Bytes of a key confirmation: an HMAC-SHA256 tag. */
  public static final int CONFIRMATION_BYTES = KeySchedule.CONFIRMATION_BYTES;

  /** Bytes of the shared key Ke: half of SHA-256's output. */
  public static final int SHARED_KEY_BYTES = KeySchedule.KEY_BYTES;

  /** The two sides of a run; they must play different roles. */
  public enum Role {
    /** The initiator: sends {@code pA = x*G + w*M}. */
    A,
    /** The responder: sends {@code pB = y*G + w*N}. */
    B
  }

  private Spake2() {}

  /**
   * The password scalar w for a code's secret digits (the slot is public and not part of it):
   * {@code OS2IP(SHA-512("paird spake2 w v1" || 0x00 || secretAsciiDigits)) mod n}. The argument is
   * not kept; the caller wipes it.
   *
   * @throws IllegalArgumentException if the digits are empty or not all ASCII 0-9
   */
  public static Spake2Scalar passwordScalar(byte[] secretAsciiDigits) {
    return Spake2Scalar.fromSecretDigits(secretAsciiDigits);
  }

  /**
   * Starts one side of a run with a fresh scalar drawn uniformly from [1, n-1]. Each attempt needs
   * a new party: scalars must never be reused.
   *
   * @param role which side this is; the peer must play the other
   * @param w the password scalar; it stays usable for further runs
   * @param idA A's identity, the same bytes on both sides; empty only if identities are implicit
   * @param idB B's identity, likewise
   * @param aad additional authenticated data both sides must agree on, bound into the
   *     confirmations; may be empty
   * @param random where the scalar comes from
   * @throws IllegalStateException if {@code w} was destroyed
   */
  public static Spake2Party start(
      Role role, Spake2Scalar w, byte[] idA, byte[] idB, byte[] aad, SecureRandom random) {
    Objects.requireNonNull(random, "random");
    return Spake2Party.create(role, w, idA, idB, aad, P256.randomScalar(random));
  }

  /**
   * Starts one side of a run whose identities and AAD are not known yet: they are given to {@link
   * Spake2Party#finish(byte[], byte[], byte[], byte[])}, with the meaning {@link #start(Role,
   * Spake2Scalar, byte[], byte[], byte[], SecureRandom)} gives them. The share does not depend on
   * them, so a side can compute and send it first; the confirmations still bind them.
   */
  public static Spake2Party start(Role role, Spake2Scalar w, SecureRandom random) {
    Objects.requireNonNull(random, "random");
    return Spake2Party.createUnbound(role, w, P256.randomScalar(random));
  }

  /**
   * Checks a share received from the peer as {@link Spake2Party#finish} will, without computing
   * anything from it: for a side that answers with its own share before it finishes.
   *
   * @throws GeneralSecurityException if the share is not a 65-byte uncompressed encoding of a point
   *     of P-256 other than the identity
   */
  public static void checkShare(byte[] share) throws GeneralSecurityException {
    P256.decodeShare(Objects.requireNonNull(share, "share"));
  }
}
