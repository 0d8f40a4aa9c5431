package dev.paird.protocol.spake2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.math.ec.ECPoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

final class Spake2Test {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] ID_A = ascii("laptop");
  private static final byte[] ID_B = ascii("printer");
  private static final byte[] AAD = ascii("paird/1");

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static Spake2Scalar code(String digits) {
    return Spake2.passwordScalar(ascii(digits));
  }

  private static Spake2Party start(Spake2.Role role, Spake2Scalar w) {
    return Spake2.start(role, w, ID_A, ID_B, AAD, RANDOM);
  }

  /** Both sides' confirmations from one run, not yet checked. */
  private record Run(Spake2Confirmation a, Spake2Confirmation b) {}

  private static Run run(Spake2Scalar wA, byte[] aadA, Spake2Scalar wB, byte[] aadB)
      throws GeneralSecurityException {
    Spake2Party a = Spake2.start(Spake2.Role.A, wA, ID_A, ID_B, aadA, RANDOM);
    Spake2Party b = Spake2.start(Spake2.Role.B, wB, ID_A, ID_B, aadB, RANDOM);
    return new Run(a.finish(b.share()), b.finish(a.share()));
  }

  /** Each side gets the other's confirmation, as on the wire, and refuses it. */
  private static void assertFailsBothWays(Run run) {
    byte[] fromA = run.a().ownConfirmation();
    byte[] fromB = run.b().ownConfirmation();

    assertThat(run.a().verifyPeer(fromB)).isFalse();
    assertThat(run.b().verifyPeer(fromA)).isFalse();
  }

  private static Run honestRun() throws GeneralSecurityException {
    Spake2Scalar w = code("31415926");
    return run(w, AAD, w, AAD);
  }

  // --- a side that sends its share before it knows the identities ---

  @ParameterizedTest
  @EnumSource(Spake2.Role.class)
  void start_withoutIdentities_givenThemAtFinish_confirmsWithABoundPeer(Spake2.Role role)
      throws GeneralSecurityException {
    Spake2Scalar w = code("31415926");
    Spake2.Role other = role == Spake2.Role.A ? Spake2.Role.B : Spake2.Role.A;
    Spake2Party unbound = Spake2.start(role, w, RANDOM);
    Spake2Party bound = start(other, w);

    Spake2Confirmation late = unbound.finish(bound.share(), ID_A, ID_B, AAD);
    Spake2Confirmation early = bound.finish(unbound.share());

    assertThat(late.verifyPeer(early.ownConfirmation())).isTrue();
    assertThat(early.verifyPeer(late.ownConfirmation())).isTrue();
  }

  @Test
  void start_withoutIdentities_givenOthersAtFinish_doesNotConfirm()
      throws GeneralSecurityException {
    Spake2Scalar w = code("31415926");
    Spake2Party unbound = Spake2.start(Spake2.Role.A, w, RANDOM);
    Spake2Party bound = start(Spake2.Role.B, w);

    Spake2Confirmation late = unbound.finish(bound.share(), ID_A, ascii("mallory"), AAD);
    Spake2Confirmation early = bound.finish(unbound.share());

    assertFailsBothWays(new Run(late, early));
  }

  @Test
  void finish_identitiesGivenTwiceOrNever_isRefused() {
    Spake2Scalar w = code("31415926");
    Spake2Party unbound = Spake2.start(Spake2.Role.A, w, RANDOM);
    Spake2Party bound = start(Spake2.Role.A, w);
    byte[] share = start(Spake2.Role.B, w).share();

    assertThatThrownBy(() -> unbound.finish(share)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> bound.finish(share, ID_A, ID_B, AAD))
        .isInstanceOf(IllegalStateException.class);
  }

  /** The same scalars give the same confirmations whether or not the blind was computed early. */
  @ParameterizedTest
  @EnumSource(Spake2.Role.class)
  void precompute_changesWhenTheWorkIsDone_notItsResult(Spake2.Role role)
      throws GeneralSecurityException {
    Spake2Scalar w = code("27182818");
    BigInteger own = P256.randomScalar(RANDOM);
    Spake2.Role other = role == Spake2.Role.A ? Spake2.Role.B : Spake2.Role.A;
    byte[] peerShare = start(other, w).share();
    Spake2Party early = Spake2Party.create(role, w, ID_A, ID_B, AAD, own);
    Spake2Party late = Spake2Party.create(role, w, ID_A, ID_B, AAD, own);

    early.precompute();
    early.precompute(); // a second call changes nothing

    assertThat(early.finish(peerShare).ownConfirmation())
        .isEqualTo(late.finish(peerShare).ownConfirmation());
  }

  @Test
  void checkShare_refusesWhatFinishRefuses() {
    byte[] notOnTheCurve = new byte[65];
    notOnTheCurve[0] = 4;

    assertThatThrownBy(() -> Spake2.checkShare(notOnTheCurve))
        .isInstanceOf(GeneralSecurityException.class);
    assertThatThrownBy(() -> Spake2.checkShare(Arrays.copyOf(notOnTheCurve, 33)))
        .isInstanceOf(GeneralSecurityException.class);
  }

  @Test
  void checkShare_acceptsAShare() throws GeneralSecurityException {
    Spake2.checkShare(start(Spake2.Role.A, code("1")).share());
  }

  // --- honest and dishonest runs ---

  @Test
  void run_sameCode_bothConfirmAndAgreeOnKey() throws GeneralSecurityException {
    Run run = honestRun();

    assertThat(run.a().verifyPeer(run.b().ownConfirmation())).isTrue();
    assertThat(run.b().verifyPeer(run.a().ownConfirmation())).isTrue();
    assertThat(run.a().sharedKey()).hasSize(Spake2.SHARED_KEY_BYTES).isEqualTo(run.b().sharedKey());
  }

  @Test
  void run_differentCodes_confirmationsFailBothWays() throws GeneralSecurityException {
    assertFailsBothWays(run(code("31415926"), AAD, code("31415927"), AAD));
  }

  @Test
  void run_differentAad_confirmationsFailBothWays() throws GeneralSecurityException {
    Spake2Scalar w = code("31415926");

    assertFailsBothWays(run(w, ascii("paird/1"), w, ascii("paird/2")));
  }

  @Test
  void run_differentIdentities_confirmationsFail() throws GeneralSecurityException {
    Spake2Scalar w = code("31415926");
    Spake2Party a = Spake2.start(Spake2.Role.A, w, ID_A, ID_B, AAD, RANDOM);
    Spake2Party b = Spake2.start(Spake2.Role.B, w, ID_A, ascii("mallory"), AAD, RANDOM);
    Spake2Confirmation confirmationA = a.finish(b.share());
    Spake2Confirmation confirmationB = b.finish(a.share());

    assertThat(confirmationA.verifyPeer(confirmationB.ownConfirmation())).isFalse();
  }

  @Test
  void run_scalarDestroyedAfterStart_stillConfirms() throws GeneralSecurityException {
    Spake2Scalar w = code("27182818");
    Spake2Party a = start(Spake2.Role.A, w);
    Spake2Party b = start(Spake2.Role.B, w);
    w.destroy();

    Spake2Confirmation confirmationA = a.finish(b.share());
    Spake2Confirmation confirmationB = b.finish(a.share());

    assertThat(confirmationA.verifyPeer(confirmationB.ownConfirmation())).isTrue();
  }

  @Test
  void start_sameCode_drawsFreshScalarEachTime() {
    Spake2Scalar w = code("31415926");

    assertThat(start(Spake2.Role.A, w).share()).isNotEqualTo(start(Spake2.Role.A, w).share());
  }

  @Test
  void share_isUncompressedPointOfShareLength() {
    byte[] share = start(Spake2.Role.B, code("31415926")).share();

    assertThat(share).hasSize(Spake2.SHARE_BYTES);
    assertThat(share[0]).isEqualTo((byte) 0x04);
  }

  // --- shares the peer must not get away with ---

  private static void assertRejected(Spake2.Role role, byte[] peerShare) {
    Spake2Party party = start(role, code("31415926"));

    assertThatThrownBy(() -> party.finish(peerShare)).isInstanceOf(GeneralSecurityException.class);
  }

  private static byte[] validShare() {
    return start(Spake2.Role.B, code("11235813")).share();
  }

  @Test
  void finish_peerShareNotOnCurve_fails() {
    byte[] share = validShare();
    // y becomes y+1 or y-1; only y and q-y put a point on the curve at this x.
    share[64] ^= 1;

    assertRejected(Spake2.Role.A, share);
  }

  @Test
  void finish_identityEncodings_fail() {
    assertRejected(Spake2.Role.A, new byte[] {0x00});
    assertRejected(Spake2.Role.A, new byte[65]);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 64, 66, 97})
  void finish_wrongLength_fails(int length) {
    assertRejected(Spake2.Role.A, Arrays.copyOf(validShare(), length));
  }

  @Test
  void finish_compressedShare_failsSayingSo() {
    ECPoint point = P256.CURVE.decodePoint(validShare());
    Spake2Party party = start(Spake2.Role.A, code("31415926"));

    assertThatThrownBy(() -> party.finish(point.getEncoded(true)))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("compressed");
  }

  @ParameterizedTest
  @ValueSource(bytes = {0x02, 0x03, 0x05, 0x06, 0x07})
  void finish_wrongPrefixOnUncompressedLength_fails(byte prefix) {
    byte[] share = validShare();
    share[0] = prefix; // 0x06 and 0x07 are SEC1's hybrid form

    assertRejected(Spake2.Role.A, share);
  }

  @Test
  void finish_coordinateNotReducedModFieldPrime_fails() {
    // A point whose x is small enough that x + q still fits in 32 bytes: same point, second
    // spelling.
    BigInteger q = P256.CURVE.getField().getCharacteristic();
    ECPoint point = null;
    for (int x = 0; point == null; x++) {
      byte[] compressed = new byte[33];
      compressed[0] = 0x02;
      compressed[32] = (byte) x;
      try {
        point = P256.CURVE.decodePoint(compressed).normalize();
      } catch (IllegalArgumentException notOnCurve) {
        // try the next x
      }
    }
    byte[] share = point.getEncoded(false);
    BigInteger x = point.getAffineXCoord().toBigInteger();
    System.arraycopy(P256.scalarBytes(x.add(q)), 0, share, 1, 32);

    assertRejected(Spake2.Role.A, share);
  }

  @ParameterizedTest
  @EnumSource(Spake2.Role.class)
  void finish_peerShareCancelsToIdentity_fails(Spake2.Role role) {
    Spake2Scalar w = code("31415926");
    ECPoint peerBlind = role == Spake2.Role.A ? P256.N : P256.M;
    // The peer sent exactly w*N (to A) or w*M (to B): what is left after unblinding is the
    // identity, so K would be too, whatever the own scalar.
    byte[] share = P256.encode(peerBlind.multiply(w.value()).normalize());
    Spake2Party party = start(role, w);

    assertThatThrownBy(() -> party.finish(share))
        .isInstanceOf(GeneralSecurityException.class)
        .hasMessageContaining("identity");
  }

  // --- one run, one use ---

  @Test
  void finish_calledTwice_throwsIllegalState() throws GeneralSecurityException {
    Spake2Party a = start(Spake2.Role.A, code("31415926"));
    a.finish(validShare());

    assertThatThrownBy(() -> a.finish(validShare())).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void finish_afterRejectedShare_throwsIllegalState() {
    Spake2Party a = start(Spake2.Role.A, code("31415926"));
    assertThatThrownBy(() -> a.finish(new byte[1])).isInstanceOf(GeneralSecurityException.class);

    assertThatThrownBy(() -> a.finish(validShare())).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void destroy_party_refusesShareAndFinish() {
    Spake2Party a = start(Spake2.Role.A, code("31415926"));
    a.destroy();

    assertThatThrownBy(a::share).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> a.finish(validShare())).isInstanceOf(IllegalStateException.class);
  }

  // --- confirmations ---

  @ParameterizedTest
  @ValueSource(ints = {0, 31, 33, 64})
  void verifyPeer_wrongLength_returnsFalse(int length) throws GeneralSecurityException {
    Run run = honestRun();
    byte[] resized = Arrays.copyOf(run.b().ownConfirmation(), length);

    assertThat(run.a().verifyPeer(resized)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 7, 100, 255})
  void verifyPeer_flippedBit_returnsFalse(int bit) throws GeneralSecurityException {
    Run run = honestRun();
    byte[] confirmation = run.b().ownConfirmation();
    confirmation[bit / 8] ^= (byte) (1 << (bit % 8));

    assertThat(run.a().verifyPeer(confirmation)).isFalse();
  }

  @Test
  void verifyPeer_ownConfirmationReflected_returnsFalse() throws GeneralSecurityException {
    Spake2Confirmation a = honestRun().a();

    assertThat(a.verifyPeer(a.ownConfirmation())).isFalse();
  }

  @Test
  void verifyPeer_calledTwice_throwsIllegalState() throws GeneralSecurityException {
    Run run = honestRun();
    byte[] right = run.b().ownConfirmation();
    assertThat(run.a().verifyPeer(right)).isTrue();

    assertThatThrownBy(() -> run.a().verifyPeer(right)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void sharedKey_beforeVerifyPeer_throwsIllegalState() throws GeneralSecurityException {
    Spake2Confirmation a = honestRun().a();

    assertThatThrownBy(a::sharedKey).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void failedVerifyPeer_endsRun() throws GeneralSecurityException {
    Spake2Confirmation a = honestRun().a();
    assertThat(a.verifyPeer(new byte[Spake2.CONFIRMATION_BYTES])).isFalse();

    assertThatThrownBy(a::sharedKey).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(a::ownConfirmation).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> a.verifyPeer(new byte[Spake2.CONFIRMATION_BYTES]))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void sharedKey_returnsCopy() throws GeneralSecurityException {
    Run run = honestRun();
    assertThat(run.a().verifyPeer(run.b().ownConfirmation())).isTrue();
    byte[] first = run.a().sharedKey();
    byte[] expected = first.clone();
    Arrays.fill(first, (byte) 0);

    assertThat(run.a().sharedKey()).isEqualTo(expected);
  }

  @Test
  void destroy_confirmation_refusesEverything() throws GeneralSecurityException {
    Run run = honestRun();
    assertThat(run.a().verifyPeer(run.b().ownConfirmation())).isTrue();
    run.a().destroy();

    assertThatThrownBy(run.a()::sharedKey).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(run.a()::ownConfirmation).isInstanceOf(IllegalStateException.class);
  }

  // --- the password scalar ---

  @Test
  void passwordScalar_knownAnswer() {
    // SHA-512("paird spake2 w v1\0" || "12345678") mod n, computed independently. Pinned
    // because both ends of a pairing must derive the same w, release after release.
    assertThat(code("12345678").value())
        .isEqualTo(
            new BigInteger("d4f6db1e0301299d523461938f64c9ca726ca78714afa68d0b960da725e04687", 16));
  }

  @Test
  void passwordScalar_leadingZeroDigitCounts() {
    assertThat(code("01234567").value()).isNotEqualTo(code("1234567").value());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1234-5678", "1234 5678", "12345a78"})
  void passwordScalar_notAllDigits_throws(String secret) {
    assertThatThrownBy(() -> code(secret)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void passwordScalar_encodedAs32BytesBigEndianLeftPadded() {
    byte[] expected = new byte[32];
    expected[31] = 1;

    assertThat(Spake2Scalar.of(BigInteger.ONE).encoded()).isEqualTo(expected);
  }

  @Test
  void scalarOf_outsideOneToOrderMinusOne_throws() {
    assertThatThrownBy(() -> Spake2Scalar.of(BigInteger.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Spake2Scalar.of(P256.ORDER))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void start_destroyedScalar_throwsIllegalState() {
    Spake2Scalar w = code("31415926");
    w.destroy();

    assertThat(w.isDestroyed()).isTrue();
    assertThatThrownBy(() -> start(Spake2.Role.A, w)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void create_ownScalarOutOfRange_throws() {
    Spake2Scalar w = code("31415926");

    for (BigInteger bad : new BigInteger[] {BigInteger.ZERO, P256.ORDER}) {
      assertThatThrownBy(() -> Spake2Party.create(Spake2.Role.A, w, ID_A, ID_B, AAD, bad))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  // --- randomness ---

  /** A random source that fills each request with the next of the given bytes, then the last. */
  private static SecureRandom filling(byte... fills) {
    return new SecureRandom() {
      private int draws;

      @Override
      public void nextBytes(byte[] bytes) {
        Arrays.fill(bytes, fills[Math.min(draws++, fills.length - 1)]);
      }
    };
  }

  @Test
  void randomScalar_outOfRangeDraws_areRejectedNotReduced() {
    byte[] ones = new byte[32];
    Arrays.fill(ones, (byte) 0x01);

    // 0xff..ff is above n and 0 is below 1: both redrawn, never reduced or clamped.
    assertThat(P256.randomScalar(filling((byte) 0xff, (byte) 0x00, (byte) 0x01)))
        .isEqualTo(new BigInteger(1, ones));
  }

  @Test
  void randomScalar_brokenSource_throwsInsteadOfLooping() {
    assertThatThrownBy(() -> P256.randomScalar(filling((byte) 0xff)))
        .isInstanceOf(IllegalStateException.class);
  }

  // --- secrets stay out of strings ---

  @Test
  void toString_neverShowsSecrets() throws GeneralSecurityException {
    Spake2Scalar w = code("31415926");
    Spake2Party a = start(Spake2.Role.A, w);
    Spake2Party b = start(Spake2.Role.B, w);
    Spake2Confirmation confirmationA = a.finish(b.share());
    Spake2Confirmation confirmationB = b.finish(a.share());
    assertThat(confirmationA.verifyPeer(confirmationB.ownConfirmation())).isTrue();
    String key = HexFormat.of().formatHex(confirmationA.sharedKey());
    String ownConfirmation = HexFormat.of().formatHex(confirmationA.ownConfirmation());

    String all = w + " " + a + " " + b + " " + confirmationA + " " + confirmationB;

    assertThat(all)
        .doesNotContain(w.value().toString(16))
        .doesNotContain(w.value().toString())
        .doesNotContain(HexFormat.of().formatHex(w.encoded()))
        .doesNotContain(key)
        .doesNotContain(ownConfirmation)
        .doesNotContain("31415926")
        .contains("Spake2Scalar[redacted]");
  }

  @Test
  void rejection_messageNeverShowsShareOrSecret() {
    Spake2Scalar w = code("31415926");
    byte[] share = validShare();
    share[64] ^= 1;
    Spake2Party a = start(Spake2.Role.A, w);

    assertThatThrownBy(() -> a.finish(share))
        .isInstanceOf(GeneralSecurityException.class)
        .message()
        .doesNotContain(HexFormat.of().formatHex(share, 1, 33))
        .doesNotContain(w.value().toString(16));
  }
}
