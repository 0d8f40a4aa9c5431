package dev.paird.protocol.spake2;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * SPAKE2 over generated secrets, identities, AAD and scalars. The scalars come from jqwik rather
 * than a {@code SecureRandom}, so that a failure can be replayed from its seed, and so that the
 * edges 1 and n-1 are tried.
 */
final class Spake2PropertyTest {

  /** Everything about a run but the secrets. */
  record Setting(byte[] idA, byte[] idB, byte[] aad, BigInteger x, BigInteger y) {
    @Override
    public String toString() {
      HexFormat hex = HexFormat.of();
      return "Setting[idA=" + hex.formatHex(idA) + ", idB=" + hex.formatHex(idB)
          + ", aad=" + hex.formatHex(aad) + ", x=" + x.toString(16) + ", y=" + y.toString(16) + "]";
    }
  }

  /** Both sides' confirmations from one run, not yet checked. */
  private record Run(Spake2Confirmation a, Spake2Confirmation b) {}

  @Provide
  Arbitrary<String> secrets() {
    return Arbitraries.strings().withCharRange('0', '9').ofMinLength(1).ofMaxLength(12);
  }

  @Provide
  Arbitrary<Setting> settings() {
    Arbitrary<byte[]> bytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(40);
    Arbitrary<BigInteger> scalars =
        Arbitraries.bigIntegers().between(BigInteger.ONE, P256.ORDER.subtract(BigInteger.ONE));
    return Combinators.combine(bytes, bytes, bytes, scalars, scalars).as(Setting::new);
  }

  /** A run of A with {@code secretA} against B with {@code secretB}, up to the confirmations. */
  private static Run run(String secretA, String secretB, Setting s) throws GeneralSecurityException {
    Spake2Party a = Spake2Party.create(Spake2.Role.A, w(secretA), s.idA(), s.idB(), s.aad(), s.x());
    Spake2Party b = Spake2Party.create(Spake2.Role.B, w(secretB), s.idA(), s.idB(), s.aad(), s.y());
    return new Run(a.finish(b.share()), b.finish(a.share()));
  }

  private static Spake2Scalar w(String secret) {
    return Spake2.passwordScalar(secret.getBytes(StandardCharsets.US_ASCII));
  }

  @Property(tries = 100)
  void run_sameSecret_bothConfirmAndAgreeOnKey(
      @ForAll("secrets") String secret, @ForAll("settings") Setting setting)
      throws GeneralSecurityException {
    Run run = run(secret, secret, setting);

    assertThat(run.a().verifyPeer(run.b().ownConfirmation())).isTrue();
    assertThat(run.b().verifyPeer(run.a().ownConfirmation())).isTrue();
    assertThat(run.a().sharedKey()).isEqualTo(run.b().sharedKey());
  }

  @Property(tries = 100)
  void run_differentSecret_neverConfirms(
      @ForAll("secrets") String secretA,
      @ForAll("secrets") String secretB,
      @ForAll("settings") Setting setting)
      throws GeneralSecurityException {
    Assume.that(!secretA.equals(secretB));
    Run run = run(secretA, secretB, setting);
    byte[] fromA = run.a().ownConfirmation();
    byte[] fromB = run.b().ownConfirmation();

    assertThat(run.a().verifyPeer(fromB)).isFalse();
    assertThat(run.b().verifyPeer(fromA)).isFalse();
  }
}
