package dev.paird.hostile;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;

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

  /** Writes {@code value} big-endian into 32 bytes at {@code offset}, left-padded with zeros. */
  private static void put(BigInteger value, byte[] into, int offset) {
    byte[] bytes = value.toByteArray(); // may carry a sign byte, or be shorter than 32
    int length = Math.min(bytes.length, COORDINATE_BYTES);
    System.arraycopy(
        bytes, bytes.length - length, into, offset + COORDINATE_BYTES - length, length);
  }
}
