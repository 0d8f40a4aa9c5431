package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.api.Suite;
import dev.paird.config.ListenAddress;
import dev.paird.identity.Certificates;
import dev.paird.identity.DeviceIdentity;
import dev.paird.keys.KeyOutcome;
import dev.paird.keys.PendingKeys;
import dev.paird.testing.ClosedPort;
import dev.paird.testing.FakeClock;
import dev.paird.testing.TestIdentities;
import dev.paird.testing.TestKeys;
import dev.paird.trust.TrustStore;
import dev.paird.trust.TrustedPeer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.util.concurrent.EventExecutor;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Two devices' pairing sides on loopback, assembled by {@link Pairing} as the daemon assembles
 * them: the real {@link PairingServer} and {@link NettyPairingClient} on epoll, BoringSSL, trusted
 * lists on disk and pending keys. Every wait is on a future, with a bound.
 */
final class PairingLoopbackTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Far longer than any exchange here takes; reached only if something hangs. */
  private static final Duration WAIT = Duration.ofSeconds(30);

  private static final Duration KEY_LIFETIME = Duration.ofMinutes(5);
  private static final int MAX_ATTEMPTS = 3;
  private static final int UNLIMITED = 1000;

  @TempDir Path dir;
  private final FakeClock clock = new FakeClock();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private EventLoopGroup boss;
  private EventLoopGroup workers;
  private ExecutorService blocking;

  @BeforeEach
  void startEventLoops() {
    boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    // One worker thread, as on a small device: connections are admitted in the order accepted.
    workers = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    blocking =
        Executors.newCachedThreadPool(
            runnable -> {
              Thread thread = new Thread(runnable, "test-blocking");
              thread.setDaemon(true);
              return thread;
            });
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(WAIT.toSeconds(), TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(WAIT.toSeconds(), TimeUnit.SECONDS);
    blocking.shutdownNow();
  }

  @ParameterizedTest
  @EnumSource(Suite.class)
  void pair_rightKey_eachStoreHoldsExactlyTheOthersCertificate(Suite suite) throws Exception {
    Device alpha = device("server");
    Device beta = device("client");
    PendingKeys.IssuedKey key = alpha.keys.issue(suite, KEY_LIFETIME);

    TrustedPeer paired =
        await(
            beta.client.pair(alpha.address(), PairingCode.parse(key.code()), Optional.of("alpha")));

    assertThat(paired.certificate()).isEqualTo(alpha.identity.certificate());
    assertThat(paired.label()).contains("alpha");
    assertThat(beta.store.list()).containsExactly(paired);
    assertThat(alpha.store.list())
        .extracting(TrustedPeer::certificate)
        .containsExactly(beta.identity.certificate());
    assertThat(alpha.store.list().get(0).suite()).isEqualTo(suite);
    KeyOutcome outcome = alpha.keys.outcome(key.id()).orElseThrow().getNow(null);
    assertThat(outcome.status()).isEqualTo(KeyOutcome.Status.PAIRED);
    assertThat(outcome.peerFingerprint()).contains(beta.fingerprint());
  }

  @Test
  void pair_again_updatesEachEntryAndAddsNone() throws Exception {
    Device alpha = device("server");
    Device beta = device("client");
    TrustedPeer first = pair(beta, alpha, Suite.SPAKE2, "alpha");
    TrustedPeer alphaFirst = alpha.store.list().get(0);

    clock.advance(Duration.ofHours(1));
    TrustedPeer second = pair(beta, alpha, Suite.HMAC, "alpha, again");

    assertThat(beta.store.list()).containsExactly(second);
    assertThat(second.fingerprint()).isEqualTo(first.fingerprint());
    assertThat(second.addedAt()).isEqualTo(first.addedAt());
    assertThat(second.updatedAt()).isEqualTo(clock.instant());
    assertThat(second.label()).contains("alpha, again");
    assertThat(second.suite()).isEqualTo(Suite.HMAC);
    assertThat(alpha.store.list())
        .singleElement()
        .satisfies(
            peer -> {
              assertThat(peer.fingerprint()).isEqualTo(alphaFirst.fingerprint());
              assertThat(peer.addedAt()).isEqualTo(alphaFirst.addedAt());
              assertThat(peer.updatedAt()).isEqualTo(clock.instant());
            });
  }

  @ParameterizedTest
  @EnumSource(Suite.class)
  void pair_wrongKey_keyRejectedAndNeitherStoreChanges(Suite suite) throws Exception {
    Device alpha = device("server");
    Device beta = device("client");
    PendingKeys.IssuedKey key = alpha.keys.issue(suite, KEY_LIFETIME);
    PairingCode wrong = TestKeys.wrongKeyLike(key.code(), RANDOM);

    PairdException failure = failureOf(beta.client.pair(alpha.address(), wrong, Optional.empty()));

    assertThat(failure.code()).isEqualTo(ErrorCode.KEY_REJECTED);
    assertThat(alpha.store.list()).isEmpty();
    assertThat(beta.store.list()).isEmpty();
    assertThat(alpha.store.jsonFile()).doesNotExist();
    assertThat(beta.store.jsonFile()).doesNotExist();
    assertThat(alpha.keys.list())
        .singleElement()
        .satisfies(info -> assertThat(info.attemptsLeft()).isEqualTo(MAX_ATTEMPTS - 1));
  }

  @Test
  void ping_beforePairing_notTrustedSayingNeitherSideTrusts() throws Exception {
    Device alpha = device("server");
    Device beta = device("client");

    assertNotTrusted(beta.client.ping(alpha.address()), "neither device trusts the other");
  }

  @Test
  void ping_afterPairing_succeedsBothWays() throws Exception {
    Device alpha = device("server");
    Device beta = device("client");
    pair(beta, alpha, Suite.SPAKE2, "alpha");

    PairingClient.PingResult betaToAlpha = await(beta.client.ping(alpha.address()));
    PairingClient.PingResult alphaToBeta = await(alpha.client.ping(beta.address()));

    assertThat(betaToAlpha.fingerprint()).isEqualTo(alpha.fingerprint());
    assertThat(alphaToBeta.fingerprint()).isEqualTo(beta.fingerprint());
    assertThat(betaToAlpha.subject()).isEqualTo(Certificates.subject(alpha.identity.certificate()));
  }

  @Test
  void ping_afterOneSideForgetsTheOther_notTrustedNamingThatSide() throws Exception {
    Device alpha = device("server");
    Device beta = device("client");
    pair(beta, alpha, Suite.HMAC, "alpha");

    alpha.store.remove(beta.fingerprint());

    assertNotTrusted(beta.client.ping(alpha.address()), "the other device does not trust this one");
    assertNotTrusted(alpha.client.ping(beta.address()), "this device does not trust the other's");
  }

  /**
   * A ping of this device's own address meets its own certificate. The message says so and asks for
   * the other device's address; it does not tell the user to pair, which a ping is not.
   */
  @Test
  void ping_itsOwnAddress_invalidArgumentNamingTheMistakeWithoutSpeakingOfPairing()
      throws Exception {
    Device alpha = device("server");

    PairdException failure = failureOf(alpha.client.ping(alpha.address()));

    assertThat(failure.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(failure)
        .hasMessageContaining("presented this device's own certificate: it is this device")
        .hasMessageContaining("the other device's host and port")
        .hasMessageNotContaining("pair");
  }

  @Test
  void connect_closedPort_peerUnreachableNamingTheAddress() throws Exception {
    Device beta = device("client");
    PairdException failure;
    int port;
    try (ClosedPort closed = ClosedPort.open()) {
      port = closed.port();
      failure = failureOf(beta.client.ping(closed.address()));
    }

    assertThat(failure.code()).isEqualTo(ErrorCode.PEER_UNREACHABLE);
    assertThat(failure).hasMessageContaining("127.0.0.1 port " + port);
  }

  @Test
  void connect_unresolvableHost_peerUnreachableNamingTheHost() throws Exception {
    Device beta = device("client");

    PairdException failure = failureOf(beta.client.ping("nosuchhost.invalid"));

    assertThat(failure.code()).isEqualTo(ErrorCode.PEER_UNREACHABLE);
    assertThat(failure).hasMessageContaining("'nosuchhost.invalid'");
  }

  @Test
  void connect_serverAnsweringGarbage_notPaird() throws Exception {
    Device beta = device("client");
    try (ServerSocket garbage = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Future<?> served = blocking.submit(() -> answerWithGarbage(garbage));

      PairdException failure = failureOf(beta.client.ping("127.0.0.1:" + garbage.getLocalPort()));

      assertThat(failure.code()).isEqualTo(ErrorCode.NOT_PAIRD);
      served.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  @Test
  void ping_askedFromEachWorkerLoop_runsItsConnectionOnThatLoop() throws Exception {
    // Two worker loops, asked in the order opposite to the group's round robin, so that a
    // connection placed by the group would run on the other loop each time.
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(WAIT.toSeconds(), TimeUnit.SECONDS);
    workers = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    Device beta = device("client");
    List<EventLoop> loops = new ArrayList<>();
    for (EventExecutor executor : workers) {
      loops.add((EventLoop) executor);
    }
    try (ServerSocket hangsUp = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + hangsUp.getLocalPort();
      for (int round = 0; round < 2; round++) {
        for (int i = loops.size() - 1; i >= 0; i--) {
          EventLoop loop = loops.get(i);
          Thread loopThread =
              loop.submit(Thread::currentThread).get(WAIT.toSeconds(), TimeUnit.SECONDS);
          // The connection fails only when the server hangs up below, after the observer is in
          // place: the thread that runs it is the one the connection's failure was reported on.
          CompletableFuture<Thread> reportedOn =
              loop.submit(
                      () ->
                          beta.client.ping(address).handle((ok, failure) -> Thread.currentThread()))
                  .get(WAIT.toSeconds(), TimeUnit.SECONDS);
          hangsUp.accept().close();

          assertThat(await(reportedOn)).as("round %d, loop %d", round, i).isSameAs(loopThread);
        }
      }
    }
  }

  @Test
  void admission_thirdConnectionInAMinute_refusedAndClientHearsTheHint() throws Exception {
    Device alpha = device("server", UNLIMITED, 2);
    Device beta = device("client");
    for (int i = 0; i < 2; i++) {
      assertThat(failureOf(beta.client.ping(alpha.address())).code())
          .as("ping %d, admitted but not trusted", i + 1)
          .isEqualTo(ErrorCode.NOT_TRUSTED);
    }

    PairdException failure = failureOf(beta.client.ping(alpha.address()));

    assertThat(failure.code()).isEqualTo(ErrorCode.TLS_FAILED);
    assertThat(failure).hasMessageContaining("limiting connections");
  }

  @Test
  void admission_oneConnectionHeldOpenAtMaxConnectionsOne_nextPairingRefused() throws Exception {
    Device alpha = device("server", 1, UNLIMITED);
    Device beta = device("client");
    PendingKeys.IssuedKey key = alpha.keys.issue(Suite.SPAKE2, KEY_LIFETIME);

    int port = alpha.pairing.localAddress().getPort();
    try (Socket idle = new Socket(InetAddress.getLoopbackAddress(), port)) { // never says a word
      PairdException failure =
          failureOf(
              beta.client.pair(alpha.address(), PairingCode.parse(key.code()), Optional.empty()));

      assertThat(failure.code()).isEqualTo(ErrorCode.TLS_FAILED);
      assertThat(failure).hasMessageContaining("limiting connections");
      assertThat(alpha.keys.list())
          .singleElement()
          .satisfies(info -> assertThat(info.attemptsLeft()).isEqualTo(MAX_ATTEMPTS));
    }
  }

  /** Reads the client's first bytes, answers with something that is not TLS, waits for EOF. */
  private static Void answerWithGarbage(ServerSocket server) throws Exception {
    try (Socket socket = server.accept()) {
      socket.setSoTimeout((int) WAIT.toMillis());
      InputStream in = socket.getInputStream();
      assertThat(in.read(new byte[512])).as("ClientHello bytes").isPositive();
      OutputStream out = socket.getOutputStream();
      out.write(
          "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      while (in.read(new byte[512]) >= 0) {
        // until the client hangs up
      }
    }
    return null;
  }

  /**
   * A pair whose requester has gone (its future cancelled, as a control connection closing does):
   * the connection to the other device, here one that never answers the ClientHello, closes at
   * once.
   */
  @Test
  void pair_cancelled_closesItsConnectionAtOnce() throws Exception {
    Device beta = device("client");
    PairingCode key = PairingCode.parse(beta.keys.issue(Suite.SPAKE2, KEY_LIFETIME).code());
    CompletableFuture<TrustedPeer> pairing;
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      pairing = beta.client.pair("127.0.0.1:" + silent.getLocalPort(), key, Optional.empty());
      try (Socket accepted = silent.accept()) {
        accepted.setSoTimeout((int) WAIT.toMillis());
        InputStream in = accepted.getInputStream();
        assertThat(in.read(new byte[4096])).as("the ClientHello").isPositive();

        assertThat(pairing.cancel(false)).isTrue();

        while (in.read(new byte[4096]) >= 0) {
          // until the client hangs up; a timeout fails the test
        }
      }
    }
    assertThat(pairing).isCancelled();
    assertThat(beta.store.list()).isEmpty();
  }

  /** Has {@code typing} pair with {@code making}, with a key {@code making} issued, and waits. */
  private static TrustedPeer pair(Device typing, Device making, Suite suite, String label)
      throws Exception {
    PairingCode key = PairingCode.parse(making.keys.issue(suite, KEY_LIFETIME).code());
    return await(typing.client.pair(making.address(), key, Optional.of(label)));
  }

  private static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static void assertNotTrusted(CompletableFuture<?> ping, String message) throws Exception {
    PairdException failure = failureOf(ping);
    assertThat(failure.code()).isEqualTo(ErrorCode.NOT_TRUSTED);
    assertThat(failure).hasMessageContaining(message);
  }

  private static PairdException failureOf(CompletableFuture<?> future) throws Exception {
    try {
      Object value = await(future);
      throw new AssertionError("expected a failure, got " + value);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(PairdException.class);
      return (PairdException) e.getCause();
    }
  }

  /** The device with the {@code fixture} identity, its listener limited only by the defaults. */
  private Device device(String fixture) throws Exception {
    return device(fixture, UNLIMITED, UNLIMITED);
  }

  private Device device(String fixture, int maxConnections, int rateLimitPerMinute)
      throws Exception {
    Device device =
        new Device(
            Files.createDirectory(dir.resolve(fixture)),
            fixture,
            maxConnections,
            rateLimitPerMinute);
    resources.add(device.pairing);
    return device;
  }

  /** One device's pairing side, assembled as {@code Daemon} assembles it. */
  private final class Device {
    final DeviceIdentity identity;
    final TrustStore store;
    final PendingKeys keys;
    final Pairing pairing;
    final PairingClient client;

    Device(Path home, String fixture, int maxConnections, int rateLimitPerMinute) throws Exception {
      identity =
          fixture.equals("server") ? TestIdentities.server(home) : TestIdentities.client(home);
      store = TrustStore.open(Files.createDirectory(home.resolve("state")));
      keys = new PendingKeys(8, MAX_ATTEMPTS, 8, clock, clock::nanoTime, RANDOM);
      pairing =
          Pairing.builder(identity, store, keys)
              .eventLoops(boss, workers)
              .settings(
                  new PairingServer.Settings(
                      new ListenAddress(Optional.of("127.0.0.1"), 0),
                      maxConnections,
                      maxConnections,
                      rateLimitPerMinute,
                      Duration.ofSeconds(10),
                      Duration.ofSeconds(5),
                      Duration.ofSeconds(20)),
                  Duration.ofSeconds(5))
              .executors(blocking, blocking)
              .clock(clock)
              .random(RANDOM)
              .start();
      client = pairing.client();
    }

    String address() {
      return "127.0.0.1:" + pairing.localAddress().getPort();
    }

    String fingerprint() {
      return Certificates.fingerprint(identity.certificate());
    }
  }
}
