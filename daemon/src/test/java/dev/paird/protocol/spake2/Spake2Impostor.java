package dev.paird.protocol.spake2;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * An attacker who plays role B of a SPAKE2 run against an honest A, for the attack tests: she
 * answers A's share with her own guess of the code and a scalar y that she keeps, receives A's
 * confirmation, and then tries offline whether a candidate code explains that confirmation.
 *
 * <p>The offline check recomputes A's confirmation as the transcript allows it: with y, the
 * candidate's w, and the shares that were actually exchanged, {@code K = y*(pA - w*M)}. A computed
 * {@code K = x*(pB - w*N)} with the real w; the two agree only if the guess in pB was the real
 * code, because otherwise A's K contains {@code x*(guess - w)*N}, and x*N is a Diffie-Hellman value
 * nobody knows. So a wrong online guess lets her test no candidate at all, the real code included.
 */
public final class Spake2Impostor {
  private final byte[] idA;
  private final byte[] idB;
  private final byte[] aad;
  private final BigInteger y;
  private final byte[] share;

  private Spake2Impostor(byte[] idA, byte[] idB, byte[] aad, BigInteger y, byte[] share) {
    this.idA = idA.clone();
    this.idB = idB.clone();
    this.aad = aad.clone();
    this.y = y;
    this.share = share;
  }

  /** Answers a run with {@code pB = y*G + w(guess)*N} for a fresh y. */
  public static Spake2Impostor answering(
      byte[] guessDigits, byte[] idA, byte[] idB, byte[] aad, SecureRandom random) {
    BigInteger y = P256.randomScalar(random);
    Spake2Party party =
        Spake2Party.create(Spake2.Role.B, Spake2.passwordScalar(guessDigits), idA, idB, aad, y);
    return new Spake2Impostor(idA, idB, aad, y, party.share());
  }

  /** pB, to send to A. */
  public byte[] share() {
    return share.clone();
  }

  /**
   * Whether A, holding the code {@code candidateDigits}, would have sent {@code confirmationA}
   * after its share {@code pA} met this impostor's share. Thread-safe.
   */
  public boolean explains(byte[] candidateDigits, byte[] pA, byte[] confirmationA)
      throws GeneralSecurityException {
    Spake2Scalar w = Spake2.passwordScalar(candidateDigits);
    byte[] k = Spake2Party.sharedPoint(Spake2.Role.B, y, w.value(), pA);
    byte[] tt = KeySchedule.transcript(idA, idB, pA, share, k, w.encoded());
    KeySchedule keys = KeySchedule.derive(tt, aad);
    return MessageDigest.isEqual(keys.confirmation(Spake2.Role.A), confirmationA);
  }
}
