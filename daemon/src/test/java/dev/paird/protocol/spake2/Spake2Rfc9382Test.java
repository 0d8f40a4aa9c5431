package dev.paird.protocol.spake2;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * SPAKE2 checked against RFC 9382: the four P256-SHA256-HKDF-HMAC test vectors of Appendix B, byte
 * for byte at every step, and the points M and N of section 6.
 */
final class Spake2Rfc9382Test {
  private static final String VECTORS = "/vectors/rfc9382-spake2-p256.json";
  private static final byte[] NO_AAD = new byte[0];

  /** One vector of Appendix B; the identities are ASCII, possibly empty. */
  record Vector(
      String a,
      String b,
      BigInteger w,
      BigInteger x,
      BigInteger y,
      byte[] pA,
      byte[] pB,
      byte[] k,
      byte[] tt,
      byte[] ke,
      byte[] ka,
      byte[] kcA,
      byte[] kcB,
      byte[] confirmationA,
      byte[] confirmationB) {

    byte[] idA() {
      return a.getBytes(StandardCharsets.US_ASCII);
    }

    byte[] idB() {
      return b.getBytes(StandardCharsets.US_ASCII);
    }

    Spake2Party party(Spake2.Role role) {
      BigInteger scalar = role == Spake2.Role.A ? x : y;
      return Spake2Party.create(role, Spake2Scalar.of(w), idA(), idB(), NO_AAD, scalar);
    }

    @Override
    public String toString() {
      return "A='" + a + "', B='" + b + "'";
    }
  }

  static List<Vector> vectors() {
    JsonNode root = vectorFile();
    List<Vector> vectors = new ArrayList<>();
    for (JsonNode v : root.get("vectors")) {
      vectors.add(
          new Vector(
              v.get("A").asText(),
              v.get("B").asText(),
              new BigInteger(1, hex(v, "w")),
              new BigInteger(1, hex(v, "x")),
              new BigInteger(1, hex(v, "y")),
              hex(v, "pA"),
              hex(v, "pB"),
              hex(v, "K"),
              hex(v, "TT"),
              hex(v, "Ke"),
              hex(v, "Ka"),
              hex(v, "KcA"),
              hex(v, "KcB"),
              hex(v, "A conf"),
              hex(v, "B conf")));
    }
    return vectors;
  }

  private static JsonNode vectorFile() {
    try (InputStream in = Spake2Rfc9382Test.class.getResourceAsStream(VECTORS)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + VECTORS);
      }
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The RFC prints values as 0x-prefixed hex. */
  private static byte[] hex(JsonNode node, String field) {
    String text = node.get(field).asText();
    return HexFormat.of().parseHex(text.startsWith("0x") ? text.substring(2) : text);
  }

  @Test
  void vectorFile_holdsAllFourVectorsIncludingEmptyIdentities() {
    assertThat(vectors())
        .extracting(Vector::toString)
        .containsExactly(
            "A='server', B='client'", "A='', B='client'", "A='server', B=''", "A='', B=''");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void share_givenScalars_matchesVector(Vector v) {
    assertThat(v.party(Spake2.Role.A).share()).isEqualTo(v.pA());
    assertThat(v.party(Spake2.Role.B).share()).isEqualTo(v.pB());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void sharedPoint_bothRoles_matchVector(Vector v) throws GeneralSecurityException {
    assertThat(Spake2Party.sharedPoint(Spake2.Role.A, v.x(), v.w(), v.pB())).isEqualTo(v.k());
    assertThat(Spake2Party.sharedPoint(Spake2.Role.B, v.y(), v.w(), v.pA())).isEqualTo(v.k());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void transcript_encodesWAs32BytesBigEndian_matchesVector(Vector v) {
    byte[] w = Spake2Scalar.of(v.w()).encoded();

    assertThat(w).hasSize(32);
    assertThat(KeySchedule.transcript(v.idA(), v.idB(), v.pA(), v.pB(), v.k(), w))
        .isEqualTo(v.tt());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void keySchedule_matchesVector(Vector v) {
    KeySchedule keys = KeySchedule.derive(v.tt(), NO_AAD);

    assertThat(keys.ke()).isEqualTo(v.ke());
    assertThat(keys.ka()).isEqualTo(v.ka());
    assertThat(keys.kcA()).isEqualTo(v.kcA());
    assertThat(keys.kcB()).isEqualTo(v.kcB());
    assertThat(keys.confirmation(Spake2.Role.A)).isEqualTo(v.confirmationA());
    assertThat(keys.confirmation(Spake2.Role.B)).isEqualTo(v.confirmationB());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void run_givenScalars_confirmsAndYieldsVectorKe(Vector v) throws GeneralSecurityException {
    Spake2Confirmation a = v.party(Spake2.Role.A).finish(v.pB());
    Spake2Confirmation b = v.party(Spake2.Role.B).finish(v.pA());

    assertThat(a.ownConfirmation()).isEqualTo(v.confirmationA());
    assertThat(b.ownConfirmation()).isEqualTo(v.confirmationB());
    assertThat(a.verifyPeer(v.confirmationB())).isTrue();
    assertThat(b.verifyPeer(v.confirmationA())).isTrue();
    assertThat(a.sharedKey()).isEqualTo(v.ke());
    assertThat(b.sharedKey()).isEqualTo(v.ke());
  }

  @Test
  void constants_areRfcPointsOnTheCurve() {
    JsonNode root = vectorFile();
    assertThat(P256.M.getEncoded(true)).isEqualTo(hex(root, "M"));
    assertThat(P256.N.getEncoded(true)).isEqualTo(hex(root, "N"));
    for (ECPoint point : List.of(P256.M, P256.N)) {
      assertThat(point.isInfinity()).isFalse();
      assertThat(point.isValid()).isTrue();
      assertThat(point.multiply(P256.ORDER).isInfinity()).isTrue();
    }
    assertThat(P256.M).isNotEqualTo(P256.N);
  }

  /**
   * M and N are nothing-up-my-sleeve points: RFC 9382's generation procedure (its Appendix A), run
   * here on the published seeds, lands on exactly the constants the code uses.
   */
  @Test
  void constants_followFromRfcSeeds() {
    assertThat(generatePoint("1.2.840.10045.3.1.7 point generation seed (M)"))
        .isEqualTo(P256.M.getEncoded(true));
    assertThat(generatePoint("1.2.840.10045.3.1.7 point generation seed (N)"))
        .isEqualTo(P256.N.getEncoded(true));
  }

  /**
   * Hashes the seed i, i+1 times (SHA-256, iterated), keeps 33 bytes, forces the first to a
   * compressed-point prefix, and returns the first candidate that is a point of the group.
   */
  private static byte[] generatePoint(String seed) {
    byte[] bytes = seed.getBytes(StandardCharsets.US_ASCII);
    for (int i = 1; i < 1000; i++) {
      byte[] first = iteratedSha256(bytes, i);
      byte[] second = iteratedSha256(bytes, i + 1);
      byte[] candidate = Arrays.copyOf(first, 33);
      candidate[32] = second[0];
      candidate[0] = (byte) ((candidate[0] & 1) | 2);
      try {
        ECPoint point = P256.CURVE.decodePoint(candidate);
        if (!point.isInfinity() && point.multiply(P256.ORDER).isInfinity()) {
          return candidate;
        }
      } catch (IllegalArgumentException notAPoint) {
        // next candidate
      }
    }
    throw new AssertionError("no point for seed " + seed);
  }

  private static byte[] iteratedSha256(byte[] seed, int times) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      byte[] h = seed;
      for (int i = 0; i < times; i++) {
        h = sha256.digest(h);
      }
      return h;
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
