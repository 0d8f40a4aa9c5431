package dev.paird.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paird.api.ErrorCode;
import dev.paird.api.HmacCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import dev.paird.api.Suite;
import dev.paird.identity.Certificates;
import dev.paird.keys.KeyInfo;
import dev.paird.keys.KeyOutcome;
import dev.paird.keys.PendingKeys;
import dev.paird.keys.TestPendingKeys;
import dev.paird.protocol.ClientSession;
import dev.paird.protocol.ErrorReason;
import dev.paird.protocol.Frame;
import dev.paird.protocol.FrameType;
import dev.paird.protocol.HmacSuite;
import dev.paird.protocol.PairingProtocol;
import dev.paird.protocol.SessionCertificates;
import dev.paird.protocol.Step;
import dev.paird.protocol.spake2.Spake2Impostor;
import dev.paird.trust.TrustedPeer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The man in the middle of docs/SECURITY.md, run against real devices on loopback. A made the key;
 * B types it and connects to A, but reaches Mallory, who holds her own certificate and can also
 * connect to A. TLS holds on both legs, so all she can do is what the pairing protocol lets her do
 * with the messages she receives.
 *
 * <p>With the hmac suite, m1 lets her test guesses of the key offline: a key of a few random bits
 * falls at once, and then both devices trust her. This is why hmac keys are 128 bits. With the
 * spake2 suite, what B sends her tests no code offline, not even the real one, and each guess at A
 * costs one of the key's three attempts, however she opens her connections.
 */
final class ManInTheMiddleTest {
  /**
   * Random bits of the deliberately weak hmac key: enough that Mallory must search (65,536 keys),
   * few enough that she is done in a fraction of a second on two cores. More bits only make the
   * same demonstration longer.
   */
  private static final int WEAK_KEY_BITS = 16;

  /**
   * Candidate codes Mallory tries offline against what B sent her, the real one aside. The point is
   * that none explains it, the real one included; each costs a SPAKE2 computation, and more of them
   * only make the test longer.
   */
  private static final int CANDIDATES = 200;

  /** The SPAKE2 AAD of the pairing protocol: its ALPN name. */
  private static final byte[] AAD = PairingProtocol.ALPN.getBytes(StandardCharsets.US_ASCII);

  private final SecureRandom random = new SecureRandom();
  private final Deque<AutoCloseable> running = new ArrayDeque<>();
  private EventLoopGroup boss;
  private EventLoopGroup workers;

  @TempDir Path dir;

  @BeforeEach
  void startEventLoops() {
    boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    workers = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
  }

  @AfterEach
  void stopEverything() throws Exception {
    while (!running.isEmpty()) {
      running.pop().close();
    }
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private Device deviceA(PendingKeys keys) throws Exception {
    return started(Device.start(Device.fixtureIdentity("server"), dir("a"), keys, boss, workers));
  }

  private Device deviceB() throws Exception {
    return started(
        Device.start(
            Device.fixtureIdentity("client"), dir("b"), Device.defaultKeys(), boss, workers));
  }

  private Mallory mallory() throws Exception {
    return started(Mallory.start(dir("mallory"), boss, workers));
  }

  private <T extends AutoCloseable> T started(T resource) {
    running.push(resource);
    return resource;
  }

  private Path dir(String name) throws Exception {
    return Files.createDirectory(dir.resolve(name));
  }

  @Test
  void hmac_weakKey_malloryFindsItOffline_andBothDevicesTrustHer() throws Exception {
    long secret = random.nextLong() >>> (Long.SIZE - WEAK_KEY_BITS);
    HmacCode weak = HmacCode.create(HmacKeySearch.key(secret));
    Device a =
        deviceA(
            TestPendingKeys.withHmacKeys(
                Device.DEFAULTS.maxPendingKeys(),
                Device.DEFAULTS.maxAttempts(),
                Clock.systemUTC(),
                random,
                () -> weak));
    Device b = deviceB();
    Mallory mallory = mallory();
    PendingKeys.IssuedKey issued = a.keys().issue(Suite.HMAC, Device.DEFAULTS.keyLifetime());
    CompletableFuture<KeyOutcome> outcomeAtA = a.keys().outcome(issued.id()).orElseThrow();

    // B pairs with what it believes is A, and sends Mallory m1.
    CompletableFuture<TrustedPeer> pairingAtB =
        b.pair(mallory.address(), PairingCode.parse(issued.code()));
    AttackerConnection fromB = mallory.accept();
    SessionCertificates legB = fromB.certificates();
    Frame m1 = fromB.receive();
    assertThat(m1.type()).isEqualTo(FrameType.HMAC_REQUEST);
    assertThat(Certificates.fingerprint(legB.client())).isEqualTo(b.fingerprint());

    // Offline, while B waits for her answer.
    int threads = Runtime.getRuntime().availableProcessors();
    HmacKeySearch.Result search = HmacKeySearch.search(m1.body(), legB, WEAK_KEY_BITS, threads);
    System.out.printf(
        "[attack] hmac offline search: %d-bit key found after %,d guesses in %d ms"
            + " on %d threads: %,.0f guesses/s%n",
        WEAK_KEY_BITS,
        search.guesses(),
        search.elapsed().toMillis(),
        threads,
        search.guessesPerSecond());
    assertThat(search.key())
        .hasValueSatisfying(found -> assertThat(found).isEqualTo(HmacKeySearch.key(secret)));
    HmacCode key = HmacCode.create(search.key().get());

    // To A, with her own certificate and an m1 that is valid for it.
    AttackerConnection toA = mallory.connect(a.address());
    SessionCertificates legA = toA.certificates();
    assertThat(Certificates.fingerprint(legA.server())).isEqualTo(a.fingerprint());
    toA.send(Frame.of(FrameType.HMAC_REQUEST, HmacSuite.request(key, legA)));
    assertThat(toA.receive().type()).isEqualTo(FrameType.HMAC_RESPONSE);
    assertThat(a.trusted()).containsExactly(mallory.fingerprint());
    assertThat(within(outcomeAtA).peerFingerprint()).contains(mallory.fingerprint());

    // Back to B, with an m2 that is valid for B's leg.
    fromB.send(Frame.of(FrameType.HMAC_RESPONSE, HmacSuite.response(key, legB)));
    assertThat(within(pairingAtB).fingerprint()).isEqualTo(mallory.fingerprint());
    assertThat(b.trusted()).containsExactly(mallory.fingerprint()).doesNotContain(a.fingerprint());
    assertThat(a.trusted()).doesNotContain(b.fingerprint());
  }

  @Test
  void spake2_malloryCannotTestCodesOffline_andBurnsTheKeyWithThreeOnlineGuesses()
      throws Exception {
    Device a = deviceA(Device.defaultKeys());
    Device b = deviceB();
    Mallory mallory = mallory();
    PendingKeys.IssuedKey issued = a.keys().issue(Suite.SPAKE2, Device.DEFAULTS.keyLifetime());
    CompletableFuture<KeyOutcome> outcomeAtA = a.keys().outcome(issued.id()).orElseThrow();
    Spake2Code code = (Spake2Code) PairingCode.parse(issued.code());

    // B pairs with what it believes is A. Mallory answers its share with a guess of her own,
    // receives B's confirmation, and blames the code, as A would.
    CompletableFuture<TrustedPeer> pairingAtB = b.pair(mallory.address(), code);
    AttackerConnection fromB = mallory.accept();
    SessionCertificates legB = fromB.certificates();
    byte[] first = fromB.receive().body();
    int slot = first[0] & 0xff; // public by design: it names the key, not its secret
    assertThat(slot).isEqualTo(code.slot());
    byte[] pA = Arrays.copyOfRange(first, 1, first.length);
    byte[] guess = otherDigits(code);
    Spake2Impostor impostor =
        Spake2Impostor.answering(guess, legB.client(), legB.server(), AAD, random);
    fromB.send(Frame.of(FrameType.SPAKE2_SERVER_SHARE, impostor.share()));
    Frame confirmation = fromB.receive();
    assertThat(confirmation.type()).isEqualTo(FrameType.SPAKE2_CLIENT_CONFIRM);
    fromB.send(Frame.error(ErrorReason.REJECTED));
    assertRejected(pairingAtB);

    // Offline: no candidate explains B's confirmation, not even the real code.
    List<byte[]> candidates = candidates(code, guess);
    long explained =
        candidates.parallelStream()
            .filter(candidate -> explains(impostor, candidate, pA, confirmation.body()))
            .count();
    System.out.printf(
        "[attack] spake2 offline test: %,d candidate codes, the real one among them:"
            + " %d explain B's confirmation%n",
        candidates.size(), explained);
    assertThat(explained).isZero();

    // Online at A, in the slot B's share named: each connection costs one attempt.
    assertThat(attemptsLeft(a, issued.id())).isEqualTo(3);
    OnlineGuess one = OnlineGuess.start(mallory, a.address(), wrongCode(slot, code));
    one.awaitServerShare();
    assertThat(attemptsLeft(a, issued.id())).isEqualTo(2);
    assertRejected(one.finish());
    assertThat(attemptsLeft(a, issued.id())).isEqualTo(2);

    // Two more at once: one attempt each, and none is left for a fourth, right code or not.
    OnlineGuess two = OnlineGuess.start(mallory, a.address(), wrongCode(slot, code));
    OnlineGuess three = OnlineGuess.start(mallory, a.address(), wrongCode(slot, code));
    two.awaitServerShare();
    three.awaitServerShare();
    assertThat(attemptsLeft(a, issued.id())).isZero();
    OnlineGuess fourth = OnlineGuess.start(mallory, a.address(), code);
    fourth.awaitServerShare();
    assertRejected(fourth.finish());
    assertRejected(two.finish());
    assertRejected(three.finish());
    assertThat(within(outcomeAtA).status()).isEqualTo(KeyOutcome.Status.BURNED);
    assertThat(a.keys().list()).isEmpty();

    // The key is burned: the right code fails, from Mallory and from B alike.
    OnlineGuess fifth = OnlineGuess.start(mallory, a.address(), code);
    fifth.awaitServerShare();
    assertRejected(fifth.finish());
    assertRejected(b.pair(a.address(), code));
    assertThat(a.trusted()).isEmpty();
    assertThat(b.trusted()).isEmpty();
  }

  /**
   * The control for the offline test above: had Mallory's online guess been the code, the same
   * check would single it out. So the check is a real one, and what defeats it there is SPAKE2.
   */
  @Test
  void spake2_offlineTest_findsTheCode_onlyWhenTheOnlineGuessWasRight() throws Exception {
    Spake2Code code = Spake2Code.generate(random, 42, Spake2Code.DEFAULT_SECRET_DIGITS);
    // B's leg, sans IO; the server fixture stands in for Mallory's certificate.
    SessionCertificates legB =
        SessionCertificates.of(
            Device.fixtureIdentity("client").certificate().getEncoded(),
            Device.fixtureIdentity("server").certificate().getEncoded());
    ClientSession b = ClientSession.spake2(code, legB, random);
    byte[] first = b.start().send().get(0).body();
    byte[] pA = Arrays.copyOfRange(first, 1, first.length);
    Spake2Impostor impostor =
        Spake2Impostor.answering(code.secretDigits(), legB.client(), legB.server(), AAD, random);
    Frame confirmation =
        b.onFrame(Frame.of(FrameType.SPAKE2_SERVER_SHARE, impostor.share())).send().get(0);

    List<byte[]> explaining =
        candidates(code).parallelStream()
            .filter(candidate -> explains(impostor, candidate, pA, confirmation.body()))
            .toList();

    assertThat(explaining).singleElement().isEqualTo(code.secretDigits());
  }

  /** {@value #CANDIDATES} random codes other than the real one, the real one, and {@code extra}. */
  private static List<byte[]> candidates(Spake2Code real, byte[]... extra) {
    Random sample = new Random(20260101L);
    List<byte[]> candidates = new ArrayList<>();
    while (candidates.size() < CANDIDATES) {
      byte[] digits = randomDigits(sample, real.secretLength());
      if (!Arrays.equals(digits, real.secretDigits())) {
        candidates.add(digits);
      }
    }
    candidates.add(real.secretDigits());
    candidates.addAll(List.of(extra));
    return candidates;
  }

  /** Secret digits of the code's length that are not the code's. */
  private byte[] otherDigits(Spake2Code code) {
    byte[] digits;
    do {
      digits = randomDigits(random, code.secretLength());
    } while (Arrays.equals(digits, code.secretDigits()));
    return digits;
  }

  /** A code for {@code slot} whose secret is not {@code real}'s. */
  private Spake2Code wrongCode(int slot, Spake2Code real) {
    return Spake2Code.create(slot, otherDigits(real));
  }

  private static byte[] randomDigits(Random random, int length) {
    byte[] digits = new byte[length];
    for (int i = 0; i < length; i++) {
      digits[i] = (byte) ('0' + random.nextInt(10));
    }
    return digits;
  }

  private static boolean explains(
      Spake2Impostor impostor, byte[] candidate, byte[] pA, byte[] confirmation) {
    try {
      return impostor.explains(candidate, pA, confirmation);
    } catch (GeneralSecurityException e) {
      throw new AssertionError("B's share is a valid point", e);
    }
  }

  private static int attemptsLeft(Device device, String id) {
    return device.keys().list().stream()
        .filter(key -> key.id().equals(id))
        .mapToInt(KeyInfo::attemptsLeft)
        .findFirst()
        .orElseThrow();
  }

  /** Mallory's exchange ended with A's ERROR REJECTED. */
  private static void assertRejected(Step.Next outcome) {
    assertThat(outcome)
        .isInstanceOfSatisfying(
            Step.Failed.class,
            failed -> assertThat(failed.code()).isEqualTo(ErrorCode.KEY_REJECTED));
  }

  private static <T> T within(CompletableFuture<T> future) throws Exception {
    return future.get(AttackerConnection.WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /** A device's pairing failed because the other end rejected the key. */
  private static void assertRejected(CompletableFuture<TrustedPeer> pairing) {
    assertThatThrownBy(() -> within(pairing))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.KEY_REJECTED));
  }
}
