package dev.paird.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ErrorCode;
import dev.paird.api.HmacCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.api.Spake2Code;
import dev.paird.api.Suite;
import dev.paird.identity.DeviceIdentity;
import dev.paird.keys.KeyOutcome;
import dev.paird.keys.PendingKeys;
import dev.paird.protocol.ClientSession;
import dev.paird.protocol.ErrorReason;
import dev.paird.protocol.Frame;
import dev.paird.protocol.FrameType;
import dev.paird.protocol.ServerSession;
import dev.paird.protocol.SessionCertificates;
import dev.paird.protocol.Step;
import dev.paird.testing.FakeClock;
import dev.paird.testing.LinkedChannels;
import dev.paird.testing.ManualExecutor;
import dev.paird.testing.TestIdentities;
import dev.paird.testing.TestKeys;
import dev.paird.trust.TrustPersister;
import dev.paird.trust.TrustStore;
import dev.paird.trust.TrustedPeer;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SessionHandler} in the pipelines the daemon builds (BoringSSL TLS, frame decoder and
 * encoder, session), server and client on two {@link EmbeddedChannel}s with the bytes carried
 * between them: real TLS 1.3 and real sessions, no sockets, and time that moves only when a test
 * moves it. Disk writes of the trusted lists are held until a test releases them.
 */
final class SessionHandlerTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final Duration FIRST_FRAME_DEADLINE = Duration.ofSeconds(5);
  private static final Duration KEY_LIFETIME = Duration.ofMinutes(5);
  private static final int MAX_ATTEMPTS = 3;

  /** The client's address as the server sees it. */
  private static final String CLIENT_ADDRESS = "192.0.2.10";

  /** The server as the user typed it on the client. */
  private static final String SERVER_HOST = "server.example";

  private static final String LABEL = "the server";

  @TempDir static Path identityDir;
  private static DeviceIdentity serverIdentity;
  private static DeviceIdentity clientIdentity;
  private static TlsContexts serverTls;
  private static TlsContexts clientTls;

  @TempDir Path dir;
  private final FakeClock clock = new FakeClock();
  private final MockTicker ticker = Ticker.newMockTicker();
  private final PendingKeys keys =
      new PendingKeys(8, MAX_ATTEMPTS, 8, clock, clock::nanoTime, RANDOM);
  private final ManualExecutor serverDisk = new ManualExecutor();
  private final ManualExecutor clientDisk = new ManualExecutor();
  private final RecordingListener serverHeard = new RecordingListener();
  private final RecordingListener clientHeard = new RecordingListener();
  private final AtomicInteger serverSessions = new AtomicInteger();
  private final AtomicInteger clientSessions = new AtomicInteger();
  private final List<Connections.Stage> serverStages = new ArrayList<>();
  private TrustStore serverStore;
  private TrustStore clientStore;
  private TrustPersister serverPersister;
  private TrustPersister clientPersister;

  @BeforeAll
  static void loadIdentities() throws Exception {
    serverIdentity = TestIdentities.server(identityDir);
    clientIdentity = TestIdentities.client(identityDir);
    serverTls = TlsContexts.create(serverIdentity);
    clientTls = TlsContexts.create(clientIdentity);
  }

  @BeforeEach
  void openStores() throws Exception {
    serverStore = TrustStore.open(Files.createDirectory(dir.resolve("server")));
    clientStore = TrustStore.open(Files.createDirectory(dir.resolve("client")));
    serverPersister = new TrustPersister(serverStore, serverDisk, clock);
    clientPersister = new TrustPersister(clientStore, clientDisk, clock);
  }

  @ParameterizedTest
  @EnumSource(Suite.class)
  void pair_rightKey_bothSucceedAndEachTrustsTheOthersCertificate(Suite suite) throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(suite, KEY_LIFETIME);
    CompletableFuture<KeyOutcome> outcome = keys.outcome(issued.id()).orElseThrow();

    try (LinkedChannels link = link(pairingClient(PairingCode.parse(issued.code())))) {
      runToEnd(link);

      TrustedPeer serverTrusted = serverHeard.onlySuccess().orElseThrow();
      TrustedPeer clientTrusted = clientHeard.onlySuccess().orElseThrow();
      assertThat(serverTrusted.certificate()).isEqualTo(clientIdentity.certificate());
      assertThat(clientTrusted.certificate()).isEqualTo(serverIdentity.certificate());
      assertThat(serverStore.list()).containsExactly(serverTrusted);
      assertThat(clientStore.list()).containsExactly(clientTrusted);
      assertThat(serverTrusted.host()).isEqualTo(CLIENT_ADDRESS);
      assertThat(clientTrusted.host()).isEqualTo(SERVER_HOST);
      assertThat(clientTrusted.label()).contains(LABEL);
      assertThat(serverTrusted.suite()).isEqualTo(suite);
      assertThat(clientTrusted.suite()).isEqualTo(suite);
      assertThat(outcome.getNow(null).status()).isEqualTo(KeyOutcome.Status.PAIRED);
      assertThat(link.server().isOpen()).isFalse();
      assertThat(link.client().isOpen()).isFalse();
    }
  }

  @ParameterizedTest
  @EnumSource(Suite.class)
  void pair_wrongKey_clientHearsKeyRejectedAndNeitherSideTrustsAnything(Suite suite)
      throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(suite, KEY_LIFETIME);

    try (LinkedChannels link = link(pairingClient(TestKeys.wrongKeyLike(issued.code(), RANDOM)))) {
      runToEnd(link);

      assertThat(clientHeard.onlyFailure().code()).isEqualTo(ErrorCode.KEY_REJECTED);
      assertThat(serverHeard.onlyFailure().code()).isEqualTo(ErrorCode.KEY_REJECTED);
      assertThat(serverStore.list()).isEmpty();
      assertThat(clientStore.list()).isEmpty();
      assertThat(keys.list())
          .singleElement()
          .satisfies(key -> assertThat(key.attemptsLeft()).isEqualTo(MAX_ATTEMPTS - 1));
      assertThat(link.server().isOpen()).isFalse();
      assertThat(link.client().isOpen()).isFalse();
    }
  }

  @ParameterizedTest(name = "server trusts client: {0}, client trusts server: {1}")
  @CsvSource({
    "true,  true,  ",
    "false, true,  the other device does not trust this one",
    "true,  false, this device does not trust the other's certificate",
    "false, false, neither device trusts the other"
  })
  void ping_eachSideJudgesTheOther(
      boolean serverTrustsClient, boolean clientTrustsServer, String clientHears) throws Exception {
    if (serverTrustsClient) {
      trust(serverStore, clientIdentity);
    }
    if (clientTrustsServer) {
      trust(clientStore, serverIdentity);
    }
    List<TrustedPeer> serverBefore = serverStore.list();
    List<TrustedPeer> clientBefore = clientStore.list();

    try (LinkedChannels link = link(pingClient())) {
      runToEnd(link);

      if (clientHears == null) {
        assertThat(clientHeard.onlySuccess()).isEmpty();
      } else {
        PairdException failure = clientHeard.onlyFailure();
        assertThat(failure.code()).isEqualTo(ErrorCode.NOT_TRUSTED);
        assertThat(failure).hasMessageContaining(clientHears);
      }
      if (serverTrustsClient) {
        assertThat(serverHeard.onlySuccess()).isEmpty();
      } else {
        assertThat(serverHeard.onlyFailure().code()).isEqualTo(ErrorCode.NOT_TRUSTED);
      }
      assertThat(serverStore.list()).isEqualTo(serverBefore);
      assertThat(clientStore.list()).isEqualTo(clientBefore);
      assertThat(link.server().isOpen()).isFalse();
      assertThat(link.client().isOpen()).isFalse();
    }
  }

  @ParameterizedTest(name = "client ALPN: {0}")
  @ValueSource(strings = {"", "http/1.1"})
  void handshake_clientWithoutPairdAlpn_notPairdAndNoSessionStarts(String alpn) throws Exception {
    SslContextBuilder builder =
        clientContextBuilder()
            .keyManager(clientIdentity.privateKey(), clientIdentity.certificate());
    if (!alpn.isEmpty()) {
      builder.applicationProtocolConfig(
          new ApplicationProtocolConfig(
              ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
              alpn));
    }

    try (LinkedChannels link = link(clientHandler(builder.build(), this::pingSession))) {
      runToEnd(link);

      assertThat(clientHeard.onlyFailure().code()).isEqualTo(ErrorCode.NOT_PAIRD);
      assertThat(serverHeard.onlyFailure().code()).isEqualTo(ErrorCode.NOT_PAIRD);
      assertThat(serverSessions).hasValue(0);
      assertThat(clientSessions).hasValue(0);
      assertThat(link.server().isOpen()).isFalse();
      assertThat(link.client().isOpen()).isFalse();
    }
  }

  @Test
  void handshake_clientWithoutCertificate_serverRefusesItAndStartsNoSession() throws Exception {
    SslContext anonymous =
        clientContextBuilder()
            .applicationProtocolConfig(
                new ApplicationProtocolConfig(
                    ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                    "paird/1"))
            .build();

    try (LinkedChannels link = link(clientHandler(anonymous, this::pingSession))) {
      runToEnd(link);

      PairdException failure = serverHeard.onlyFailure();
      assertThat(failure.code()).isEqualTo(ErrorCode.TLS_FAILED);
      assertThat(failure).hasMessageContaining("PEER_DID_NOT_RETURN_A_CERTIFICATE");
      assertThat(serverSessions).hasValue(0);
      // In TLS 1.3 the client has finished its handshake before the server refuses it; all that
      // matters on its side is that it hears one failure.
      clientHeard.onlyFailure();
      assertThat(link.client().isOpen()).isFalse();
    }
  }

  @ParameterizedTest(name = "reset first: {0}")
  @ValueSource(booleans = {false, true})
  void handshake_serverHangsUpAtOnce_clientHearsTlsFailedWithTheRefusalHint(boolean reset) {
    try (LinkedChannels link = new LinkedChannels(new EmbeddedChannel(refuse()), pingClient())) {
      if (reset) {
        // The ClientHello reached the closed socket: the client may read a reset, not an EOF.
        link.client().pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
      }
      link.run();

      PairdException failure = clientHeard.onlyFailure();
      assertThat(failure.code()).isEqualTo(ErrorCode.TLS_FAILED);
      assertThat(failure).hasMessageContaining("limiting connections");
      assertThat(link.client().isOpen()).isFalse();
    }
  }

  /** How a server ends the connection after its TLS handshake, before its first frame. */
  enum ServerEnd {
    /** epoll reports the reset its kernel sent in answer to the client's frame. */
    RESET_READ,
    /**
     * The reset arrived while the client was still writing: the write fails, and Netty closes the
     * channel without an exception and without reading.
     */
    RESET_WHILE_WRITING,
    /**
     * The connection ends without close_notify once the client's frame has been written (a server
     * that stopped, say): the server may have acted on the frame.
     */
    END_AFTER_THE_FRAME,
    /** The server closes TLS itself (close_notify), then the connection. */
    CLOSE_NOTIFY
  }

  /**
   * Once the client's handshake has ended, holds every write as a socket whose buffer is full does;
   * when the channel closes, fails them before channelInactive goes on, as Netty does.
   */
  private static final class StalledWrites extends ChannelDuplexHandler {
    private final boolean stall;
    private final List<ChannelPromise> held = new ArrayList<>();

    StalledWrites(boolean stall) {
      this.stall = stall;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
      if (stall && ctx.pipeline().get(SslHandler.class).handshakeFuture().isSuccess()) {
        io.netty.util.ReferenceCountUtil.release(message);
        held.add(promise);
      } else {
        ctx.write(message, promise);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      for (ChannelPromise promise : held) {
        promise.tryFailure(new ClosedChannelException());
      }
      ctx.fireChannelInactive();
    }
  }

  /**
   * TLS 1.3: the client's handshake ends before the server has judged the client's certificate. A
   * server that refuses it sends an alert and closes; the reset its kernel then sends can discard
   * the alert unread, or fail the client's write before anything is read. A reset, or an end before
   * the client's first frame was written, after the handshake and before the server's first frame
   * is therefore the handshake's failure: tls_failed. An end once that frame has been written, or a
   * server that closes saying so in TLS (close_notify), is a protocol error, as before.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(ServerEnd.class)
  void afterHandshake_serverEndsBeforeItsFirstFrame_aResetIsTlsFailed_aCloseAProtocolError(
      ServerEnd end) {
    // A server that completes its handshake and then answers nothing.
    EmbeddedChannel server =
        channel(
            new ChannelHandler[0],
            serverTls.server(),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object message) {
                io.netty.util.ReferenceCountUtil.release(message);
              }
            });
    StalledWrites writes = new StalledWrites(end == ServerEnd.RESET_WHILE_WRITING);
    EmbeddedChannel client =
        clientHandler(new ChannelHandler[] {writes}, clientTls.client(), this::pingSession);
    try (LinkedChannels link = new LinkedChannels(server, client)) {
      link.run();
      assertThat(clientHeard.all()).as("the handshake done, nothing heard yet").isEmpty();
      assertThat(writes.held.isEmpty())
          .as("the client's frame held")
          .isEqualTo(end != ServerEnd.RESET_WHILE_WRITING);

      switch (end) {
        case RESET_READ ->
            link.client()
                .pipeline()
                .fireExceptionCaught(new IOException("Connection reset by peer"));
        case RESET_WHILE_WRITING, END_AFTER_THE_FRAME ->
            // What Netty does when a write fails, or the other end's FIN is read: close, no
            // exception.
            link.client().unsafe().close(link.client().voidPromise());
        case CLOSE_NOTIFY -> link.server().close();
      }
      link.run();

      PairdException failure = clientHeard.onlyFailure();
      if (end == ServerEnd.CLOSE_NOTIFY || end == ServerEnd.END_AFTER_THE_FRAME) {
        assertThat(failure.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
      } else {
        assertThat(failure.code()).isEqualTo(ErrorCode.TLS_FAILED);
        assertThat(failure).hasMessageContaining("right after the TLS handshake");
      }
      assertThat(link.client().isOpen()).isFalse();
    }
  }

  /**
   * A client's starter prepares once the connection is up, before the handshake ends, and is told
   * to drop what it prepared if no session starts; otherwise the session takes it.
   */
  @ParameterizedTest(name = "server refuses: {0}")
  @ValueSource(booleans = {false, true})
  void clientStarter_preparedWhenActive_thenStartedOrDiscarded(boolean refused) {
    List<String> calls = new ArrayList<>();
    SessionHandler.Starter starter =
        new SessionHandler.Starter() {
          @Override
          public void prepare() {
            calls.add("prepare");
          }

          @Override
          public SessionHandler.Started start(SessionCertificates certificates) {
            calls.add("start");
            ClientSession session = pingSession(certificates);
            return new SessionHandler.Started(session, session.start());
          }

          @Override
          public void discard() {
            calls.add("discard");
          }
        };
    EmbeddedChannel client =
        channel(
            new ChannelHandler[0],
            clientTls.client(),
            new SessionHandler(
                SessionHandler.Role.CLIENT,
                starter,
                clientPersister,
                SERVER_HOST,
                Optional.empty(),
                new SessionHandler.Deadlines(Optional.empty(), DEADLINE),
                stage -> {},
                clientHeard));
    assertThat(calls).as("as soon as the channel is active").containsExactly("prepare");

    try (LinkedChannels link =
        new LinkedChannels(refused ? new EmbeddedChannel(refuse()) : serverChannel(), client)) {
      link.run();
    }

    assertThat(calls)
        .containsExactlyElementsOf(
            refused ? List.of("prepare", "discard") : List.of("prepare", "start"));
  }

  @Test
  void handshake_connectionRefusedInFrontOfTheSession_serverReportsNoOutcome() {
    try (LinkedChannels link = new LinkedChannels(serverChannel(refuse()), pingClient())) {
      link.run();

      assertThat(link.server().isOpen()).isFalse();
      assertThat(serverHeard.all()).isEmpty();
      assertThat(clientHeard.onlyFailure().code()).isEqualTo(ErrorCode.TLS_FAILED);
    }
  }

  @Test
  void handshake_clientHangsUpAtOnce_serverHearsTlsFailedWithoutTheHint() {
    try (LinkedChannels link = link(scripted(clientTls.client()))) {
      link.client().close();
      link.run();

      PairdException failure = serverHeard.onlyFailure();
      assertThat(failure.code()).isEqualTo(ErrorCode.TLS_FAILED);
      assertThat(failure)
          .hasMessageContaining("closed the connection during the TLS handshake")
          .hasMessageNotContaining("limiting");
    }
  }

  @Test
  void malformedFrame_fromClient_serverAnswersErrorMalformedAndCloses() {
    try (LinkedChannels link = new LinkedChannels(serverChannel(), scripted(clientTls.client()))) {
      link.run();
      assertThat(serverSessions).hasValue(1);

      link.client().writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0x55, 0x00, 0x00}));
      link.run();

      assertThat(frames(link.client())).containsExactly(Frame.error(ErrorReason.MALFORMED));
      assertThat(link.server().isOpen()).isFalse();
      PairdException failure = serverHeard.onlyFailure();
      assertThat(failure.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
      assertThat(failure).hasMessageContaining("malformed");
    }
  }

  @Test
  void malformedFrame_fromServer_clientAnswersErrorMalformedAndCloses() throws Exception {
    try (LinkedChannels link = new LinkedChannels(scripted(serverTls.server()), pingClient())) {
      link.run();
      assertThat(frames(link.server())).containsExactly(Frame.empty(FrameType.PING));

      // A PONG header announcing a body: PONG has none.
      link.server().writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0x22, 0x00, 0x01, 0x00}));
      link.run();

      assertThat(frames(link.server())).containsExactly(Frame.error(ErrorReason.MALFORMED));
      assertThat(link.client().isOpen()).isFalse();
      assertThat(clientHeard.onlyFailure().code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
    }
  }

  @Test
  void deadline_passesMidSpake2Exchange_serverSendsTimeoutClosesAndCountsTheAttemptOnce()
      throws Exception {
    Spake2Code code = (Spake2Code) PairingCode.parse(keys.issue(Suite.SPAKE2, KEY_LIFETIME).code());
    try (LinkedChannels link = new LinkedChannels(serverChannel(), scripted(clientTls.client()))) {
      link.run();
      ClientSession client = ClientSession.spake2(code, honestCertificates(), RANDOM);
      link.client().writeAndFlush(client.start().send().get(0));
      link.run();
      assertThat(frames(link.client()))
          .extracting(Frame::type)
          .containsExactly(FrameType.SPAKE2_SERVER_SHARE);
      assertThat(keys.list().get(0).attemptsLeft()).isEqualTo(MAX_ATTEMPTS - 1);

      ticker.advance(DEADLINE.toMillis() - 1, TimeUnit.MILLISECONDS);
      link.run();
      assertThat(link.server().isOpen()).as("open just before the deadline").isTrue();
      assertThat(serverHeard.all()).isEmpty();

      ticker.advance(1, TimeUnit.MILLISECONDS);
      link.run();

      assertThat(frames(link.client())).containsExactly(Frame.error(ErrorReason.TIMEOUT));
      assertThat(link.server().isOpen()).isFalse();
      assertThat(serverHeard.onlyFailure().code()).isEqualTo(ErrorCode.TIMEOUT);
      assertThat(keys.list())
          .singleElement()
          .satisfies(key -> assertThat(key.attemptsLeft()).isEqualTo(MAX_ATTEMPTS - 1));
    }
  }

  @Test
  void deadline_passesWhileClientAwaitsServer_clientSendsTimeoutAndCloses() throws Exception {
    try (LinkedChannels link = new LinkedChannels(scripted(serverTls.server()), pingClient())) {
      link.run();
      assertThat(frames(link.server())).containsExactly(Frame.empty(FrameType.PING));

      ticker.advance(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      link.run();

      assertThat(frames(link.server())).containsExactly(Frame.error(ErrorReason.TIMEOUT));
      assertThat(link.client().isOpen()).isFalse();
      assertThat(clientHeard.onlyFailure().code()).isEqualTo(ErrorCode.TIMEOUT);
    }
  }

  @Test
  void firstFrameDeadline_clientSilentAfterHandshake_serverSendsTimeoutAndCloses()
      throws Exception {
    try (LinkedChannels link = new LinkedChannels(serverChannel(), scripted(clientTls.client()))) {
      link.run();
      assertThat(serverStages).containsExactly(Connections.Stage.AWAIT_FIRST_FRAME);

      ticker.advance(FIRST_FRAME_DEADLINE.toMillis() - 1, TimeUnit.MILLISECONDS);
      link.run();
      assertThat(link.server().isOpen()).as("open just before the deadline").isTrue();

      ticker.advance(1, TimeUnit.MILLISECONDS);
      link.run();

      assertThat(frames(link.client())).containsExactly(Frame.error(ErrorReason.TIMEOUT));
      assertThat(link.server().isOpen()).isFalse();
      PairdException failure = serverHeard.onlyFailure();
      assertThat(failure.code()).isEqualTo(ErrorCode.TIMEOUT);
      assertThat(failure).hasMessageContaining("no request");
    }
  }

  @Test
  void firstFrameDeadline_halfAFrameThenSilence_serverSendsTimeoutAndCloses() throws Exception {
    try (LinkedChannels link = new LinkedChannels(serverChannel(), scripted(clientTls.client()))) {
      link.run();
      link.client().writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0x11, 0x00}));
      link.run();

      ticker.advance(FIRST_FRAME_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
      link.run();

      assertThat(frames(link.client())).containsExactly(Frame.error(ErrorReason.TIMEOUT));
      assertThat(link.server().isOpen()).isFalse();
      assertThat(serverHeard.onlyFailure().code()).isEqualTo(ErrorCode.TIMEOUT);
    }
  }

  @Test
  void firstFrameDeadline_firstFrameArrived_noLongerApplies() throws Exception {
    Spake2Code code = (Spake2Code) PairingCode.parse(keys.issue(Suite.SPAKE2, KEY_LIFETIME).code());
    try (LinkedChannels link = new LinkedChannels(serverChannel(), scripted(clientTls.client()))) {
      link.run();
      ClientSession client = ClientSession.spake2(code, honestCertificates(), RANDOM);
      link.client().writeAndFlush(client.start().send().get(0));
      link.run();

      ticker.advance(FIRST_FRAME_DEADLINE.toMillis() * 2, TimeUnit.MILLISECONDS);
      link.run();

      assertThat(link.server().isOpen()).isTrue();
      assertThat(serverHeard.all()).isEmpty();
      assertThat(serverStages)
          .containsExactly(Connections.Stage.AWAIT_FIRST_FRAME, Connections.Stage.EXCHANGE);
    }
  }

  @Test
  void evicted_midSpake2Exchange_serverSendsBusyClosesAndCountsTheAttempt() throws Exception {
    Spake2Code code = (Spake2Code) PairingCode.parse(keys.issue(Suite.SPAKE2, KEY_LIFETIME).code());
    try (LinkedChannels link = new LinkedChannels(serverChannel(), scripted(clientTls.client()))) {
      link.run();
      ClientSession client = ClientSession.spake2(code, honestCertificates(), RANDOM);
      link.client().writeAndFlush(client.start().send().get(0));
      link.run();
      frames(link.client());

      link.server().pipeline().fireUserEventTriggered(AdmissionHandler.EVICTED);
      link.run();

      assertThat(frames(link.client())).containsExactly(Frame.error(ErrorReason.BUSY));
      assertThat(link.server().isOpen()).isFalse();
      assertThat(serverHeard.onlyFailure().code()).isEqualTo(ErrorCode.BUSY);
      assertThat(keys.list())
          .singleElement()
          .satisfies(key -> assertThat(key.attemptsLeft()).isEqualTo(MAX_ATTEMPTS - 1));
    }
  }

  @Test
  void clientClosesAfterItsShare_eachTimeCountsAnAttempt_theLastBurnsTheKey() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, KEY_LIFETIME);
    Spake2Code code = (Spake2Code) PairingCode.parse(issued.code());
    CompletableFuture<KeyOutcome> outcome = keys.outcome(issued.id()).orElseThrow();

    for (int i = 0; i < MAX_ATTEMPTS; i++) {
      try (LinkedChannels link =
          new LinkedChannels(serverChannel(), scripted(clientTls.client()))) {
        link.run();
        ClientSession client = ClientSession.spake2(code, honestCertificates(), RANDOM);
        link.client().writeAndFlush(client.start().send().get(0));
        link.run();
        link.client().close();
        link.run();
        assertThat(link.server().isOpen()).isFalse();
      }
    }

    assertThat(outcome.getNow(null).status()).isEqualTo(KeyOutcome.Status.BURNED);
    assertThat(keys.list()).isEmpty();
  }

  @Test
  void persist_serverClosesRightAfterItsProof_clientFinishesSavingAndSucceeds() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, KEY_LIFETIME);

    try (LinkedChannels link = link(pairingClient(PairingCode.parse(issued.code())))) {
      link.run(serverDisk::runAll);
      assertThat(serverHeard.onlySuccess()).isPresent();
      assertThat(link.client().isOpen()).as("client connection closed by the server").isFalse();
      assertThat(clientDisk.pending()).isEqualTo(1);
      assertThat(clientHeard.all()).isEmpty();

      finishClientSave(link);
    }
  }

  @Test
  void persist_clientClosesWhileServerSaves_serverFinishesSavingAndSucceeds() throws Exception {
    CompletableFuture<KeyOutcome> outcome =
        pairWhileServerSaves(Suite.HMAC, link -> link.client().close());

    assertServerPairedWithClient(outcome);
    assertThat(clientHeard.onlyFailure().code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
    assertThat(clientStore.list()).isEmpty();
  }

  @Test
  void persist_connectionResetWhileServerSaves_serverFinishesSavingAndSucceeds() throws Exception {
    CompletableFuture<KeyOutcome> outcome =
        pairWhileServerSaves(
            Suite.SPAKE2,
            link -> {
              // What epoll reports when the peer's kernel answers with a reset, before it closes.
              link.server()
                  .pipeline()
                  .fireExceptionCaught(new IOException("Connection reset by peer"));
              link.server().close();
            });

    assertServerPairedWithClient(outcome);
  }

  @Test
  void persist_clientTimesOutWhileServerSaves_serverIgnoresItsErrorAndSucceeds() throws Exception {
    // Both deadlines pass: the server, saving, waits; the client sends ERROR TIMEOUT and goes.
    CompletableFuture<KeyOutcome> outcome =
        pairWhileServerSaves(
            Suite.SPAKE2, link -> ticker.advance(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));

    assertServerPairedWithClient(outcome);
    assertThat(clientHeard.onlyFailure().code()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(clientStore.list()).isEmpty();
  }

  @Test
  void persist_serverCannotSave_bothFailAndNeitherSideTrustsTheOther() throws Exception {
    serverStore = TrustStore.open(Files.createDirectory(dir.resolve("full")), 1);
    trust(serverStore, serverIdentity); // fills it: the client cannot be added
    serverPersister = new TrustPersister(serverStore, serverDisk, clock);
    PendingKeys.IssuedKey issued = keys.issue(Suite.HMAC, KEY_LIFETIME);
    CompletableFuture<KeyOutcome> outcome = keys.outcome(issued.id()).orElseThrow();

    try (LinkedChannels link = link(pairingClient(PairingCode.parse(issued.code())))) {
      runToEnd(link);

      assertThat(serverHeard.onlyFailure().code()).isEqualTo(ErrorCode.INTERNAL);
      PairdException failure = clientHeard.onlyFailure();
      assertThat(failure.code()).isEqualTo(ErrorCode.PEER_FAILED);
      assertThat(failure).hasMessageContaining("could not save its trusted list");
      assertThat(clientStore.list()).isEmpty();
      assertThat(serverStore.list())
          .extracting(TrustedPeer::certificate)
          .containsExactly(serverIdentity.certificate());
      assertThat(outcome.getNow(null).status()).isEqualTo(KeyOutcome.Status.FAILED);
    }
  }

  @Test
  void abandoned_beforeTheHandshake_clientClosesAndStartsNoSession() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.SPAKE2, KEY_LIFETIME);

    try (LinkedChannels link = link(pairingClient(PairingCode.parse(issued.code())))) {
      link.client().pipeline().fireUserEventTriggered(SessionHandler.ABANDONED);
      runToEnd(link);

      assertThat(link.client().isOpen()).isFalse();
      assertThat(link.server().isOpen()).isFalse();
      assertThat(clientSessions).hasValue(0);
      assertThat(clientHeard.onlyFailure()).hasMessageContaining("abandoned");
      assertThat(clientStore.list()).isEmpty();
      assertThat(serverStore.list()).isEmpty();
      assertThat(keys.list())
          .singleElement()
          .satisfies(key -> assertThat(key.attemptsLeft()).isEqualTo(MAX_ATTEMPTS));
    }
  }

  /**
   * Abandoned while the server saves the client and is yet to send its proof: the proof, sent once
   * the server has saved, finds the client closed, and the client saves nothing. The server trusts
   * the client (PROTOCOL.md, §7).
   */
  @ParameterizedTest
  @EnumSource(Suite.class)
  void abandoned_duringTheExchange_clientClosesAtOnceAndNeverTrustsTheServer(Suite suite)
      throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(suite, KEY_LIFETIME);

    try (LinkedChannels link = link(pairingClient(PairingCode.parse(issued.code())))) {
      link.run(clientDisk::runAll);
      assertThat(serverDisk.pending()).as("the server's save, held").isEqualTo(1);
      assertThat(clientSessions).hasValue(1);

      link.client().pipeline().fireUserEventTriggered(SessionHandler.ABANDONED);
      assertThat(link.client().isOpen()).as("closed at once").isFalse();
      runToEnd(link);

      assertThat(clientHeard.onlyFailure()).hasMessageContaining("abandoned");
      assertThat(clientDisk.pending()).isZero();
      assertThat(clientStore.list()).isEmpty();
      assertThat(serverHeard.onlySuccess()).isPresent();
      assertThat(serverStore.list())
          .extracting(TrustedPeer::certificate)
          .containsExactly(clientIdentity.certificate());
    }
  }

  /** Abandoned once the client has begun saving the server: the save completes, as a success. */
  @Test
  void abandoned_afterSavingBegan_clientClosesAndFinishesSaving() throws Exception {
    PendingKeys.IssuedKey issued = keys.issue(Suite.HMAC, KEY_LIFETIME);

    try (LinkedChannels link = link(pairingClient(PairingCode.parse(issued.code())))) {
      link.run(serverDisk::runAll);
      assertThat(clientDisk.pending()).as("the client's save, held").isEqualTo(1);

      link.client().pipeline().fireUserEventTriggered(SessionHandler.ABANDONED);
      assertThat(link.client().isOpen()).as("closed at once").isFalse();
      finishClientSave(link);
    }
  }

  /** A ping abandoned while it waits for the server's answer closes at once. */
  @Test
  void abandoned_ping_clientClosesAtOnce() throws Exception {
    try (LinkedChannels link = new LinkedChannels(scripted(serverTls.server()), pingClient())) {
      link.run();
      assertThat(frames(link.server())).containsExactly(Frame.empty(FrameType.PING));

      link.client().pipeline().fireUserEventTriggered(SessionHandler.ABANDONED);
      link.run();

      assertThat(link.client().isOpen()).isFalse();
      assertThat(clientHeard.onlyFailure()).hasMessageContaining("abandoned");
    }
  }

  /** Lets the client's held save finish; checks that it reports and keeps the server. */
  private void finishClientSave(LinkedChannels link) {
    clientDisk.runAll();
    link.run();

    TrustedPeer trusted = clientHeard.onlySuccess().orElseThrow();
    assertThat(trusted.certificate()).isEqualTo(serverIdentity.certificate());
    assertThat(clientStore.list()).containsExactly(trusted);
  }

  /**
   * Pairs until the server has the client's trust to save and holds the save; lets {@code
   * meanwhile} happen to the connection, which must end it; then lets the save finish. Returns the
   * key's outcome.
   */
  private CompletableFuture<KeyOutcome> pairWhileServerSaves(
      Suite suite, Consumer<LinkedChannels> meanwhile) throws PairdException {
    PendingKeys.IssuedKey issued = keys.issue(suite, KEY_LIFETIME);
    try (LinkedChannels link = link(pairingClient(PairingCode.parse(issued.code())))) {
      link.run(clientDisk::runAll);
      assertThat(serverDisk.pending()).as("saves held").isEqualTo(1);

      meanwhile.accept(link);
      link.run(clientDisk::runAll);
      assertThat(link.server().isOpen()).as("server connection").isFalse();
      assertThat(serverHeard.all()).as("heard by the server while saving").isEmpty();

      serverDisk.runAll();
      link.run();
      return keys.outcome(issued.id()).orElseThrow();
    }
  }

  private void assertServerPairedWithClient(CompletableFuture<KeyOutcome> outcome) {
    TrustedPeer trusted = serverHeard.onlySuccess().orElseThrow();
    assertThat(trusted.certificate()).isEqualTo(clientIdentity.certificate());
    assertThat(serverStore.list()).containsExactly(trusted);
    assertThat(outcome.getNow(null).status()).isEqualTo(KeyOutcome.Status.PAIRED);
  }

  /** Links a fresh server to {@code client}. */
  private LinkedChannels link(EmbeddedChannel client) {
    return new LinkedChannels(serverChannel(), client);
  }

  /** Runs both sides and both disks until nothing moves. */
  private void runToEnd(LinkedChannels link) {
    link.run(
        () -> {
          boolean serverRan = serverDisk.runAll();
          boolean clientRan = clientDisk.runAll();
          return serverRan || clientRan;
        });
  }

  /** The server's pipeline, as {@link PairingServerInitializer} builds it after admission. */
  private EmbeddedChannel serverChannel(ChannelHandler... before) {
    return channel(
        before,
        serverTls.server(),
        new SessionHandler(
            SessionHandler.Role.SERVER,
            certificates -> {
              serverSessions.incrementAndGet();
              return new SessionHandler.Started(
                  new ServerSession(
                      certificates,
                      PeerCertificates.peer(certificates.client()),
                      keys,
                      serverPersister::isTrusted,
                      RANDOM),
                  new Step(List.of(), new Step.AwaitFrame()));
            },
            serverPersister,
            CLIENT_ADDRESS,
            Optional.empty(),
            new SessionHandler.Deadlines(Optional.of(FIRST_FRAME_DEADLINE), DEADLINE),
            serverStages::add,
            serverHeard));
  }

  private EmbeddedChannel pairingClient(PairingCode code) {
    return clientHandler(
        clientTls.client(),
        certificates ->
            code instanceof Spake2Code spake2
                ? ClientSession.spake2(spake2, certificates, RANDOM)
                : ClientSession.hmac((HmacCode) code, certificates));
  }

  private EmbeddedChannel pingClient() {
    return clientHandler(clientTls.client(), this::pingSession);
  }

  private ClientSession pingSession(SessionCertificates certificates) {
    return ClientSession.ping(certificates, clientPersister.isTrusted(certificates.server()));
  }

  /** The client's pipeline, as {@link NettyPairingClient} builds it. */
  private EmbeddedChannel clientHandler(
      SslContext tls, Function<SessionCertificates, ClientSession> sessions) {
    return clientHandler(new ChannelHandler[0], tls, sessions);
  }

  /** The same, with {@code before} in front of TLS. */
  private EmbeddedChannel clientHandler(
      ChannelHandler[] before,
      SslContext tls,
      Function<SessionCertificates, ClientSession> sessions) {
    return channel(
        before,
        tls,
        new SessionHandler(
            SessionHandler.Role.CLIENT,
            certificates -> {
              clientSessions.incrementAndGet();
              ClientSession session = sessions.apply(certificates);
              return new SessionHandler.Started(session, session.start());
            },
            clientPersister,
            SERVER_HOST,
            Optional.of(LABEL),
            new SessionHandler.Deadlines(Optional.empty(), DEADLINE),
            stage -> {},
            clientHeard));
  }

  /** TLS and frames without a session: the test plays this side by hand. */
  private EmbeddedChannel scripted(SslContext tls) {
    return channel(new ChannelHandler[0], tls, null);
  }

  private EmbeddedChannel channel(ChannelHandler[] before, SslContext tls, ChannelHandler session) {
    List<ChannelHandler> handlers = new ArrayList<>(List.of(before));
    handlers.addAll(
        List.of(
            tls.newHandler(ByteBufAllocator.DEFAULT), new FrameDecoder(), FrameEncoder.INSTANCE));
    if (session != null) {
      handlers.add(session);
    }
    return EmbeddedChannel.builder()
        .ticker(ticker)
        .handlers(handlers.toArray(ChannelHandler[]::new))
        .build();
  }

  /** What AdmissionHandler does to a connection it refuses: closes it, and passes nothing on. */
  private static ChannelHandler refuse() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelActive(ChannelHandlerContext ctx) {
        ctx.close();
      }
    };
  }

  private static SslContextBuilder clientContextBuilder() {
    return SslContextBuilder.forClient()
        .sslProvider(SslProvider.OPENSSL)
        .protocols("TLSv1.3")
        .trustManager(PairingTrustManager.INSTANCE)
        .endpointIdentificationAlgorithm(null);
  }

  private static List<Frame> frames(EmbeddedChannel channel) {
    List<Frame> frames = new ArrayList<>();
    for (Object message; (message = channel.readInbound()) != null; ) {
      frames.add((Frame) message);
    }
    return frames;
  }

  private static SessionCertificates honestCertificates() throws Exception {
    return SessionCertificates.of(
        clientIdentity.certificate().getEncoded(), serverIdentity.certificate().getEncoded());
  }

  private void trust(TrustStore store, DeviceIdentity peer) throws PairdException {
    store.put(peer.certificate(), "peer.example", Suite.SPAKE2, Optional.empty(), clock.instant());
  }
}
