package dev.paird.protocol.spake2;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The RFC 9382 transcript TT and the keys of SPAKE2-P256-SHA256-HKDF-HMAC derived from it (section
 * 4): {@code Ke || Ka = SHA-256(TT)}, {@code KcA || KcB = HKDF(salt = nil, IKM = Ka, info =
 * "ConfirmationKeys" || AAD, L = 32)}, and the confirmations {@code HMAC(KcA, TT)} and {@code
 * HMAC(KcB, TT)}.
 *
 * <p>{@link #destroy()} wipes the arrays held here; copies inside BouncyCastle's digest, HKDF and
 * HMAC objects are left to the garbage collector.
 */
final class KeySchedule {
  /** Bytes of Ke, Ka, KcA and KcB: half of SHA-256's output. */
  static final int KEY_BYTES = 16;

  /** Bytes of a confirmation: a full HMAC-SHA256 tag. */
  static final int CONFIRMATION_BYTES = 32;

  private static final byte[] CONFIRMATION_KEYS_LABEL =
      "ConfirmationKeys".getBytes(StandardCharsets.US_ASCII);

  private final byte[] ke;
  private final byte[] ka;
  private final byte[] kcA;
  private final byte[] kcB;
  private final byte[] confirmationA;
  private final byte[] confirmationB;

  private KeySchedule(
      byte[] ke, byte[] ka, byte[] kcA, byte[] kcB, byte[] confirmationA, byte[] confirmationB) {
    this.ke = ke;
    this.ka = ka;
    this.kcA = kcA;
    this.kcB = kcB;
    this.confirmationA = confirmationA;
    this.confirmationB = confirmationB;
  }

  /**
   * {@code len(A) || A || len(B) || B || len(pA) || pA || len(pB) || pB || len(K) || K || len(w) ||
   * w}, each length 8 bytes little-endian. An absent identity is the empty string, so its length
   * field is still there (all zeros).
   */
  static byte[] transcript(byte[] idA, byte[] idB, byte[] pA, byte[] pB, byte[] k, byte[] w) {
    byte[][] fields = {idA, idB, pA, pB, k, w};
    int length = 0;
    for (byte[] field : fields) {
      length = Math.addExact(length, Long.BYTES + field.length);
    }
    ByteBuffer tt = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] field : fields) {
      tt.putLong(field.length).put(field);
    }
    return tt.array();
  }

  /** Every key and both confirmations for a transcript and the AAD both parties were given. */
  static KeySchedule derive(byte[] tt, byte[] aad) {
    SHA256Digest sha256 = new SHA256Digest();
    byte[] hash = new byte[sha256.getDigestSize()];
    byte[] kc = new byte[2 * KEY_BYTES];
    byte[] info = new byte[CONFIRMATION_KEYS_LABEL.length + aad.length];
    try {
      sha256.update(tt, 0, tt.length);
      sha256.doFinal(hash, 0);
      byte[] ka = Arrays.copyOfRange(hash, KEY_BYTES, 2 * KEY_BYTES);

      System.arraycopy(CONFIRMATION_KEYS_LABEL, 0, info, 0, CONFIRMATION_KEYS_LABEL.length);
      System.arraycopy(aad, 0, info, CONFIRMATION_KEYS_LABEL.length, aad.length);
      HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
      // Ka is the input keying material and the salt is empty: the RFC's KDF(Ka, nil, ...).
      hkdf.init(new HKDFParameters(ka, null, info));
      hkdf.generateBytes(kc, 0, kc.length);

      byte[] kcA = Arrays.copyOfRange(kc, 0, KEY_BYTES);
      byte[] kcB = Arrays.copyOfRange(kc, KEY_BYTES, 2 * KEY_BYTES);
      return new KeySchedule(
          Arrays.copyOfRange(hash, 0, KEY_BYTES),
          ka,
          kcA,
          kcB,
          hmacSha256(kcA, tt),
          hmacSha256(kcB, tt));
    } finally {
      Arrays.fill(hash, (byte) 0);
      Arrays.fill(kc, (byte) 0);
      Arrays.fill(info, (byte) 0);
    }
  }

  private static byte[] hmacSha256(byte[] key, byte[] message) {
    HMac hmac = new HMac(new SHA256Digest());
    hmac.init(new KeyParameter(key));
    hmac.update(message, 0, message.length);
    byte[] tag = new byte[hmac.getMacSize()];
    hmac.doFinal(tag, 0);
    return tag;
  }

  /** The shared secret Ke, the protocol's output. */
  byte[] ke() {
    return ke;
  }

  /** Ka, used only to derive KcA and KcB. */
  byte[] ka() {
    return ka;
  }

  byte[] kcA() {
    return kcA;
  }

  byte[] kcB() {
    return kcB;
  }

  /** The confirmation the given role sends. */
  byte[] confirmation(Spake2.Role role) {
    return role == Spake2.Role.A ? confirmationA : confirmationB;
  }

  void destroy() {
    for (byte[] secret : new byte[][] {ke, ka, kcA, kcB, confirmationA, confirmationB}) {
      Arrays.fill(secret, (byte) 0);
    }
  }

  @Override
  public String toString() {
    return "KeySchedule[redacted]";
  }
}
