package dev.paird.protocol.spake2;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECAlgorithms;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECMultiplier;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.util.BigIntegers;

/**
 * The NIST P-256 group as SPAKE2-P256 uses it: generator, order, the RFC 9382 points M and N,
 * scalars, and the encoding and validation of shares.
 *
 * <p>Every multiplication here has a secret scalar (x, y or w), so none goes through {@link
 * ECPoint#multiply}, whose default wNAF multiplier branches and indexes on the scalar's digits.
 * Fixed bases (G, M, N) use the comb multiplier, whose table is precomputed once per base and read
 * with a full masked scan; the peer's point uses BouncyCastle's constant-time fixed-window
 * multiplier. Both guarantees stop at the point arithmetic: the scalars are {@link BigInteger}s,
 * whose own arithmetic is not constant time.
 */
final class P256 {
  private static final X9ECParameters PARAMS = CustomNamedCurves.getByName("P-256");

  static final ECCurve CURVE = PARAMS.getCurve();
  static final ECPoint G = PARAMS.getG();

  /**
   * The group order n; the cofactor is 1, so every point on the curve but the identity is in the
   * group.
   */
  static final BigInteger ORDER = PARAMS.getN();

  /** Bytes of a scalar and of a field element. */
  static final int SCALAR_BYTES = 32;

  /** Bytes of an uncompressed SEC1 point, 0x04 || X || Y. */
  static final int POINT_BYTES = 1 + 2 * SCALAR_BYTES;

  private static final byte UNCOMPRESSED = 0x04;

  /**
   * M for P-256 (RFC 9382 section 6), from the seed "1.2.840.10045.3.1.7 point generation seed
   * (M)".
   */
  static final ECPoint M =
      constant("02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f");

  /**
   * N for P-256 (RFC 9382 section 6), from the seed "1.2.840.10045.3.1.7 point generation seed
   * (N)".
   */
  static final ECPoint N =
      constant("03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49");

  // Stateless; the precomputed comb lives on each base point, so G, M and N pay for it once.
  private static final ECMultiplier FIXED_BASE = new FixedPointCombMultiplier();

  // A broken random source (all ones, say) would otherwise spin here forever. One honest draw
  // falls outside [1, n-1] with probability below 2^-32.
  private static final int MAX_SCALAR_DRAWS = 64;

  private P256() {}

  /** {@code k * base} for one of the long-lived points G, M or N. */
  static ECPoint multiplyFixed(ECPoint base, BigInteger k) {
    return FIXED_BASE.multiply(base, k);
  }

  /** {@code k * point} for a point derived from the peer's share. */
  static ECPoint multiplyVariable(ECPoint point, BigInteger k) {
    return ECAlgorithms.multiplySecret(point, k, ORDER);
  }

  /** Whether {@code k} is in [1, n-1]. */
  static boolean isScalar(BigInteger k) {
    return k.signum() > 0 && k.compareTo(ORDER) < 0;
  }

  /**
   * A scalar drawn uniformly from [1, n-1] by rejection sampling, as RFC 9382 section 7 recommends.
   */
  static BigInteger randomScalar(SecureRandom random) {
    byte[] bytes = new byte[SCALAR_BYTES];
    try {
      for (int i = 0; i < MAX_SCALAR_DRAWS; i++) {
        random.nextBytes(bytes);
        BigInteger k = new BigInteger(1, bytes);
        if (isScalar(k)) {
          return k;
        }
      }
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
    throw new IllegalStateException(
        "random source gave "
            + MAX_SCALAR_DRAWS
            + " values outside [1, n-1] in a row; it is broken");
  }

  /** A scalar as 32 bytes big-endian, left-padded: the encoding of w in the transcript. */
  static byte[] scalarBytes(BigInteger k) {
    return BigIntegers.asUnsignedByteArray(SCALAR_BYTES, k);
  }

  /** The uncompressed SEC1 encoding of a point that is not the identity. */
  static byte[] encode(ECPoint point) {
    return point.getEncoded(false);
  }

  /**
   * Decodes and validates a share received from the peer: RFC 9382 section 7 requires aborting on
   * anything that is not an element of the group.
   *
   * @throws GeneralSecurityException if the share is not a 65-byte uncompressed encoding of a point
   *     of P-256 other than the identity
   */
  static ECPoint decodeShare(byte[] share) throws GeneralSecurityException {
    if (share.length == 1 + SCALAR_BYTES && (share[0] == 0x02 || share[0] == 0x03)) {
      // Valid SEC1, but RFC 9382 fixes uncompressed points for P-256 and both sides hash the
      // share as it was sent, so a compressed share could never confirm. Say so plainly.
      throw new GeneralSecurityException(
          "spake2 share is compressed; only uncompressed points are accepted");
    }
    if (share.length != POINT_BYTES || share[0] != UNCOMPRESSED) {
      throw new GeneralSecurityException("spake2 share is not a 65-byte uncompressed point");
    }
    BigInteger x = new BigInteger(1, share, 1, SCALAR_BYTES);
    BigInteger y = new BigInteger(1, share, 1 + SCALAR_BYTES, SCALAR_BYTES);
    BigInteger q = CURVE.getField().getCharacteristic();
    // A coordinate of q or more would name the same point as its value mod q: refuse the
    // second spelling rather than rely on the field element constructor to.
    if (x.compareTo(q) >= 0 || y.compareTo(q) >= 0) {
      throw new GeneralSecurityException("spake2 share has a coordinate outside the field");
    }
    ECPoint point;
    try {
      point = CURVE.validatePoint(x, y);
    } catch (IllegalArgumentException e) {
      throw new GeneralSecurityException("spake2 share is not a point on P-256");
    }
    // (x, y) cannot encode the identity, and with cofactor 1 the curve is the group; checked
    // anyway because the whole protocol's security rests on it.
    if (point.isInfinity() || !point.isValid()) {
      throw new GeneralSecurityException("spake2 share is not a point on P-256");
    }
    return point;
  }

  private static ECPoint constant(String compressedHex) {
    return CURVE.decodePoint(HexFormat.of().parseHex(compressedHex)).normalize();
  }
}
