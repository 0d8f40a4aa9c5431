package dev.paird.hostile;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;

/**
 * Valid P-256 points as SEC1 uncompressed bytes, made with the JDK's own EC arithmetic: a fresh key
 * pair's public key is x·G for a random x, which is all a SPAKE2 share has to look like to the
 * server.
 */
final class P256 {
  private static final int COORDINATE_BYTES = 32;

  private P256() {}

  /** {@code 04 ‖ X ‖ Y} of x·G for a random x. */
  static byte[] randomPoint() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      ECPoint w = ((ECPublicKey) generator.generateKeyPair().getPublic()).getW();
      byte[] point = new byte[1 + 2 * COORDINATE_BYTES];
      point[0] = 0x04;
      put(w.getAffineX(), point, 1);
      put(w.getAffineY(), point, 1 + COORDINATE_BYTES);
      return point;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no P-256", e);
    }
  }

  /**
   * {@code 04 ‖ X ‖ Y} of w·M for the code with these secret digits, w and M as docs/PROTOCOL.md
   * gives them: {@code OS2IP(SHA-512("paird spake2 w v1" ‖ 0x00 ‖ digits)) mod n} and RFC 9382's M
   * for P-256. Bouncy Castle's generic arithmetic for the named curve, not paird's code.
   */
  static byte[] blindOfM(byte[] secretDigits) {
    try {
      MessageDigest sha512 = MessageDigest.getInstance("SHA-512");
      sha512.update("paird spake2 w v1\0".getBytes(StandardCharsets.US_ASCII));
      sha512.update(secretDigits);
      X9ECParameters curve = ECNamedCurveTable.getByName("P-256");
      BigInteger w = new BigInteger(1, sha512.digest()).mod(curve.getN());
      org.bouncycastle.math.ec.ECPoint m =
          curve
              .getCurve()
              .decodePoint(
                  HexFormat.of()
                      .parseHex(
                          "02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f"));
      return m.multiply(w).normalize().getEncoded(false);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no SHA-512", e);
    }
  }

  /**
   * {@code 04 ‖ X ‖ Y} of the point with the smallest X, which is far below 2^256 − p, so that X+p
   * still fits in 32 bytes ({@link #withXPlusP}). Bouncy Castle's arithmetic, not paird's code.
   */
  static byte[] pointWithSmallX() {
    X9ECParameters curve = ECNamedCurveTable.getByName("P-256");
    for (int x = 0; x < 1000; x++) {
      byte[] compressed = new byte[1 + COORDINATE_BYTES];
      compressed[0] = 0x02;
      put(BigInteger.valueOf(x), compressed, 1);
      try {
        return curve.getCurve().decodePoint(compressed).normalize().getEncoded(false);
      } catch (IllegalArgumentException e) {
        // no point has this X: try the next
      }
    }
    throw new IllegalStateException("no point on P-256 with X below 1000");
  }

  /**
   * {@code point} with X+p written in place of X: the same point to a reader that reduces
   * coordinates mod p, which PROTOCOL.md forbids. {@code point}'s X must be below 2^256 − p.
   */
  static byte[] withXPlusP(byte[] point) {
    BigInteger p = ECNamedCurveTable.getByName("P-256").getCurve().getField().getCharacteristic();
    BigInteger x = new BigInteger(1, Arrays.copyOfRange(point, 1, 1 + COORDINATE_BYTES));
    BigInteger unreduced = x.add(p);
    if (unreduced.bitLength() > 8 * COORDINATE_BYTES) {
      throw new IllegalArgumentException("X+p does not fit in 32 bytes");
    }
    byte[] written = point.clone();
    put(unreduced, written, 1);
    return written;
  }

  /** Writes {@code value} big-endian into 32 bytes at {@code offset}, left-padded with zeros. */
  private static void put(BigInteger value, byte[] into, int offset) {
    byte[] bytes = value.toByteArray(); // may carry a sign byte, or be shorter than 32
    int length = Math.min(bytes.length, COORDINATE_BYTES);
    System.arraycopy(
        bytes, bytes.length - length, into, offset + COORDINATE_BYTES - length, length);
  }
}
