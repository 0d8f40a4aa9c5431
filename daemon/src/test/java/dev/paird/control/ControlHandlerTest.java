package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.api.ControlProtocol;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.api.Suite;
import dev.paird.config.ListenAddress;
import dev.paird.config.PairdConfig;
import dev.paird.identity.Certificates;
import dev.paird.identity.DeviceIdentity;
import dev.paird.keys.PendingKeys;
import dev.paird.net.PairingClient;
import dev.paird.net.PairingLoad;
import dev.paird.testing.FakeClock;
import dev.paird.testing.ManualExecutor;
import dev.paird.testing.TestIdentities;
import dev.paird.trust.TrustStore;
import dev.paird.trust.TrustedPeer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.MockTicker;
import io.netty.util.concurrent.Ticker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** The control pipeline on an EmbeddedChannel: framing, error paths, ordering and bounds. */
final class ControlHandlerTest {
  @TempDir Path dir;

  /** Bound with listen = *:0: the kernel's choice, not the configured (default) port. */
  private static final ListenAddress BOUND = new ListenAddress(Optional.empty(), 40123);

  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  /** A member of the socket's group. */
  private static final Caller CALLER = new Caller(1000, 1000, 42);

  private final FakeClock clock = new FakeClock();
  private final List<CompletableFuture<TrustedPeer>> pairs = new ArrayList<>();
  private final List<CompletableFuture<PairingClient.PingResult>> pings = new ArrayList<>();
  private PendingKeys keys;
  private TrustStore trust;
  private EmbeddedChannel channel;
  private final MockTicker ticker = Ticker.newMockTicker();

  @BeforeEach
  void setUp() throws Exception {
    DeviceIdentity identity = TestIdentities.server(dir);
    keys = new PendingKeys(4, 3, 8, clock, clock::nanoTime, new SecureRandom());
    PairingClient pairing =
        new PairingClient() {
          @Override
          public CompletableFuture<TrustedPeer> pair(
              String host, PairingCode code, Optional<String> label) {
            CompletableFuture<TrustedPeer> pending = new CompletableFuture<>();
            pairs.add(pending);
            return pending;
          }

          @Override
          public CompletableFuture<PingResult> ping(String host) {
            CompletableFuture<PingResult> pending = new CompletableFuture<>();
            pings.add(pending);
            return pending;
          }
        };
    trust = TrustStore.open(java.nio.file.Files.createDirectories(dir.resolve("state")));
    ControlService service =
        new ControlService(
            identity,
            keys,
            trust,
            PairdConfig.defaultConfig(),
            pairing,
            () -> new PairingLoad(5, 2),
            "test-host",
            BOUND,
            clock,
            Runnable::run);
    // Time stands still until a test moves it, from before the connection starts.
    channel =
        EmbeddedChannel.builder()
            .ticker(ticker)
            .handlers(new Wire(), initializer(service, 4, ch -> CALLER))
            .build();
  }

  /**
   * What a client reads: a copy of each buffer written, taken as it is written. The handler zeroes
   * its buffer once the write is done, which in an {@link EmbeddedChannel} is before a test reads
   * it, as a socket's kernel buffer holds the bytes after paird's is zeroed.
   */
  private static final class Wire extends ChannelOutboundHandlerAdapter {
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof ByteBuf buf) {
        ByteBuf copy = buf.copy();
        buf.release();
        ctx.write(copy, promise);
      } else {
        ctx.write(msg, promise);
      }
    }
  }

  /** paird runs as uid 999, its socket's group is gid 999, and nobody else is a member. */
  private static ControlChannelInitializer initializer(
      ControlService service, int maxConnections, Function<Channel, Caller> credentials) {
    return new ControlChannelInitializer(
        service,
        maxConnections,
        REQUEST_TIMEOUT,
        credentials,
        () -> new ControlAccess(999, 999, "paird", (caller, gid) -> caller.uid() == 1000));
  }

  private void send(String text) {
    channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    channel.runPendingTasks();
  }

  private List<JsonNode> responses() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    ByteBuf buf;
    StringBuilder text = new StringBuilder();
    while ((buf = channel.readOutbound()) != null) {
      text.append(buf.toString(StandardCharsets.UTF_8));
      buf.release();
    }
    for (String line : text.toString().split("\n", -1)) {
      if (!line.isEmpty()) {
        out.add(ControlCodec.parseLine(line.getBytes(StandardCharsets.UTF_8)).root());
      }
    }
    return out;
  }

  private static String code(JsonNode response) {
    return response.path("error").path("code").asText();
  }

  @Test
  void status_isAnswered() throws Exception {
    send("{\"v\":1,\"command\":\"status\",\"id\":7}\n");

    List<JsonNode> answers = responses();
    assertThat(answers).hasSize(1);
    assertThat(answers.get(0).get("ok").asBoolean()).isTrue();
    assertThat(answers.get(0).get("id").asInt()).isEqualTo(7);
    assertThat(answers.get(0).path("result").path("host").asText()).isEqualTo("test-host");
    assertThat(answers.get(0).path("result").path("pairing_connections").asInt()).isEqualTo(5);
    assertThat(answers.get(0).path("result").path("pairing_in_handshake").asInt()).isEqualTo(2);
  }

  /**
   * A bug while reading a request (here a reader that throws) is still answered, {@code internal}
   * with the request's id, as every request is; neither the answer nor the log carries the
   * exception's message, which could quote the request, and the connection goes on serving.
   */
  @Test
  void aBugWhileReadingARequest_isAnsweredInternal_withoutItsMessage() throws Exception {
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(ControlHandler.class);
    log.start();
    logger.addAppender(log);
    boolean[] thrown = {false};
    try {
      channel.close();
      channel =
          new EmbeddedChannel(
              new Wire(),
              new ControlHandler(
                  service(),
                  REQUEST_TIMEOUT,
                  new UnreadAnswers(),
                  (fields, key) -> {
                    if (!thrown[0]) {
                      thrown[0] = true;
                      throw new IllegalStateException("marker-4d1f in the request");
                    }
                    return dev.paird.api.ControlRequest.parse(fields, key);
                  }));

      send("{\"v\":1,\"command\":\"status\",\"id\":7}");
      send("{\"v\":1,\"command\":\"status\",\"id\":8}");

      List<JsonNode> answers = responses();
      assertThat(answers).hasSize(2);
      assertThat(answers.get(0).path("ok").asBoolean()).isFalse();
      assertThat(answers.get(0).path("id").asInt()).isEqualTo(7);
      assertThat(code(answers.get(0))).isEqualTo("internal");
      assertThat(answers.get(0).toString()).doesNotContain("marker-4d1f", "IllegalState");
      assertThat(answers.get(1).path("ok").asBoolean()).as("%s", answers.get(1)).isTrue();
      assertThat(log.list).hasSize(1);
      ILoggingEvent logged = log.list.get(0);
      assertThat(logged.getLevel()).isEqualTo(Level.ERROR);
      assertThat(logged.getFormattedMessage()).doesNotContain("marker-4d1f");
      assertThat(logged.getThrowableProxy().getMessage())
          .contains("IllegalStateException")
          .doesNotContain("marker-4d1f");
      assertThat(logged.getThrowableProxy().getStackTraceElementProxyArray()).isNotEmpty();
    } finally {
      logger.detachAppender(log);
    }
  }

  @Test
  void newKeyAndStatus_reportThePortTheListenerIsBoundTo() throws Exception {
    send("{\"v\":1,\"command\":\"new-key\"}\n");
    send("{\"v\":1,\"command\":\"status\"}\n");

    List<JsonNode> answers = responses();
    assertThat(answers.get(0).path("result").path("port").asInt()).isEqualTo(40123);
    assertThat(answers.get(1).path("result").path("listen").asText()).isEqualTo("*:40123");
  }

  @Test
  void listTrustedAndShow_giveThePublicKeyPin_andShowGivesTheCertificate() throws Exception {
    X509Certificate certificate = TestIdentities.client(dir).certificate();
    TrustedPeer peer =
        trust.put(certificate, "laptop", Suite.HMAC, Optional.empty(), Instant.EPOCH);
    String pin = Certificates.spkiPin(certificate);

    send("{\"v\":1,\"command\":\"list-trusted\"}\n");
    send(
        "{\"v\":1,\"command\":\"show\",\"args\":{\"fingerprint\":\""
            + peer.fingerprint().substring(0, 8).toUpperCase(Locale.ROOT)
            + "\"}}\n");
    send("{\"v\":1,\"command\":\"show\",\"args\":{\"fingerprint\":\"00\"}}\n");

    List<JsonNode> answers = responses();
    assertThat(answers.get(0).path("result").path("peers").get(0).path("spki_pin").asText())
        .isEqualTo(pin)
        .startsWith("sha256//");
    JsonNode shown = answers.get(1).path("result");
    assertThat(shown.path("peer").path("fingerprint").asText()).isEqualTo(peer.fingerprint());
    assertThat(shown.path("peer").path("spki_pin").asText()).isEqualTo(pin);
    assertThat(shown.path("certificate").asText()).isEqualTo(Certificates.toPem(certificate));
    assertThat(code(answers.get(2))).isEqualTo("not_found");
  }

  @Test
  void errorPaths_eachGetTheirCode_andTheConnectionKeepsServing() throws Exception {
    send("not json\n");
    send("[1,2]\n");
    send("{\"v\":2,\"command\":\"status\"}\n");
    send("{\"v\":1,\"command\":\"reboot\"}\n");
    send("{\"v\":1,\"command\":\"status\",\"extra\":1}\n");
    send("{\"v\":1,\"command\":\"new-key\",\"args\":{\"suite\":\"rsa\"}}\n");
    send("{\"v\":1,\"command\":\"new-key\",\"args\":{\"ttl_seconds\":5}}\n");
    send("{\"v\":1,\"command\":\"cancel-key\",\"args\":{\"id\":\"99\"}}\n");
    send("{\"v\":1,\"command\":\"status\",\"command\":\"status\"}\n");
    send("{\"v\":1,\"command\":\"status\"}\n");

    assertThat(responses())
        .extracting(ControlHandlerTest::code)
        .containsExactly(
            "bad_request",
            "bad_request",
            "unsupported_version",
            "unknown_command",
            "bad_request",
            "invalid_argument",
            "invalid_argument",
            "not_found",
            "bad_request",
            "");
  }

  @Test
  void oversizedLine_isRefused_andTheNextRequestIsServed() throws Exception {
    send("{\"v\":1,\"pad\":\"" + "x".repeat(ControlProtocol.MAX_REQUEST_BYTES) + "\"}\n");
    send("{\"v\":1,\"command\":\"status\"}\n");

    List<JsonNode> answers = responses();
    assertThat(answers)
        .extracting(ControlHandlerTest::code)
        .containsExactly("request_too_large", "");
    assertThat(channel.isActive()).isTrue();
  }

  @Test
  void aNewKeyAnswer_isZeroedInPairdsBuffer_onceWritten() throws Exception {
    List<ByteBuf> written = new ArrayList<>();
    channel
        .pipeline()
        .addAfter(
            channel.pipeline().context(Wire.class).name(),
            "spy",
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                written.add(((ByteBuf) msg).retain());
                ctx.write(msg, promise);
              }
            });

    send("{\"v\":1,\"command\":\"new-key\"}\n");

    String key = responses().get(0).path("result").path("key").textValue();
    assertThat(key).isNotBlank();
    assertThat(written).hasSize(1);
    ByteBuf answer = written.get(0);
    assertThat(ByteBufUtil.getBytes(answer, 0, answer.capacity())).containsOnly(0);
    answer.release();
  }

  @Test
  void requestSplitAcrossManyReads_isAnswered() throws Exception {
    String request = "{\"v\":1,\"command\":\"new-key\",\"args\":{\"suite\":\"hmac\"}}\n";
    for (int i = 0; i < request.length(); i++) {
      send(String.valueOf(request.charAt(i)));
    }

    assertThat(responses())
        .singleElement()
        .satisfies(r -> assertThat(r.path("result").path("suite").asText()).isEqualTo("hmac"));
  }

  @Test
  void pipelinedRequests_areAnsweredInOrder_evenBehindASlowOne() throws Exception {
    send(
        "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\""
            + validCode()
            + "\"},\"id\":1}\n"
            + "{\"v\":1,\"command\":\"status\",\"id\":2}\n"
            + "garbage\n"
            + "{\"v\":1,\"command\":\"list-keys\",\"id\":4}\n");
    assertThat(responses()).isEmpty(); // everything waits behind the pair in flight

    pairs.get(0).completeExceptionally(new PairdException(ErrorCode.KEY_REJECTED, "rejected"));
    channel.runPendingTasks();

    List<JsonNode> answers = responses();
    assertThat(answers)
        .extracting(ControlHandlerTest::code)
        .containsExactly("key_rejected", "", "bad_request", "");
    assertThat(answers.get(0).get("id").asInt()).isEqualTo(1);
    assertThat(answers.get(3).get("id").asInt()).isEqualTo(4);
  }

  /**
   * Lines beyond the queue are not run, but the requests before them are, and are answered in
   * order; then one busy without an id says where running stopped, and the connection closes.
   */
  @Test
  void tooManyQueuedRequests_theQueuedAreAnswered_thenBusyAndClosed() throws Exception {
    StringBuilder burst = new StringBuilder();
    burst
        .append("{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\"")
        .append(validCode())
        .append("\"},\"id\":0}\n");
    for (int i = 1; i <= ControlHandler.MAX_QUEUED; i++) {
      burst.append("{\"v\":1,\"command\":\"status\",\"id\":").append(i).append("}\n");
    }
    burst.append("{\"v\":1,\"command\":\"new-key\",\"id\":99}\n");
    burst.append("{\"v\":1,\"command\":\"new-key\",\"id\":100}\n");

    send(burst.toString());
    assertThat(responses()).isEmpty();
    assertThat(channel.isActive()).isTrue();
    pairs.get(0).completeExceptionally(new PairdException(ErrorCode.KEY_REJECTED, "rejected"));
    channel.runPendingTasks();

    List<JsonNode> answers = responses();
    assertThat(answers).hasSize(ControlHandler.MAX_QUEUED + 2);
    assertThat(answers.subList(0, ControlHandler.MAX_QUEUED + 1))
        .extracting(r -> r.path("id").asInt())
        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8);
    assertThat(code(answers.get(0))).isEqualTo("key_rejected");
    assertThat(answers.subList(1, ControlHandler.MAX_QUEUED + 1))
        .allSatisfy(r -> assertThat(r.path("ok").asBoolean()).as("%s", r).isTrue());
    JsonNode last = answers.get(ControlHandler.MAX_QUEUED + 1);
    assertThat(code(last)).isEqualTo("busy");
    assertThat(last.has("id")).as("%s", last).isFalse();
    assertThat(keys.list()).as("new-key 99 and 100, beyond the queue, did not run").isEmpty();
    assertThat(channel.isActive()).isFalse();
  }

  /**
   * A client that overflows the queue and then reads nothing: the busy answer's write never
   * finishes, so the close that waits for it never comes; the request deadline closes it.
   */
  @Test
  void overflowedConnection_thatReadsNothing_isClosedAtTheRequestDeadline() throws Exception {
    channel
        .pipeline()
        .addFirst(
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg); // held by a client that never reads: never done
              }
            });
    StringBuilder burst = new StringBuilder();
    for (int i = 0; i <= ControlHandler.MAX_QUEUED + 1; i++) {
      burst.append("{\"v\":1,\"command\":\"status\"}\n");
    }

    send(burst.toString());
    channel.runPendingTasks();
    assertThat(channel.isActive())
        .as("the answers are written, the busy too, not yet closed")
        .isTrue();
    elapse(REQUEST_TIMEOUT);

    assertThat(channel.isActive()).isFalse();
  }

  @Test
  void oversizedLine_behindARequestInFlight_isAnsweredInItsTurn() throws Exception {
    send(
        "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\""
            + validCode()
            + "\"},\"id\":1}\n");
    send("{\"v\":1,\"pad\":\"" + "x".repeat(ControlProtocol.MAX_REQUEST_BYTES) + "\"}\n");
    send("{\"v\":1,\"command\":\"status\",\"id\":3}\n");
    assertThat(responses()).isEmpty();

    pairs.get(0).completeExceptionally(new PairdException(ErrorCode.KEY_REJECTED, "rejected"));
    channel.runPendingTasks();

    List<JsonNode> answers = responses();
    assertThat(answers)
        .extracting(ControlHandlerTest::code)
        .containsExactly("key_rejected", "request_too_large", "");
    assertThat(answers.get(2).path("id").asInt()).isEqualTo(3);
    assertThat(channel.isActive()).isTrue();
  }

  @Test
  void requestDeadline_closesAConnectionThatSendsNothing() {
    elapse(REQUEST_TIMEOUT.minusMillis(1));
    assertThat(channel.isActive()).isTrue();

    elapse(Duration.ofMillis(1));

    assertThat(channel.isActive()).isFalse();
  }

  @Test
  void requestDeadline_isNotPutOffByATrickleOfBytesThatNeverEndsALine() {
    for (int i = 0; i < 59; i++) {
      send("{");
      elapse(Duration.ofSeconds(1));
    }
    assertThat(channel.isActive()).isTrue();

    send("\"");
    elapse(Duration.ofSeconds(1));

    assertThat(channel.isActive()).isFalse();
  }

  @Test
  void requestDeadline_startsAgainAfterEachAnswer_andSparesARequestInFlight() throws Exception {
    elapse(REQUEST_TIMEOUT.minusSeconds(1));
    send(
        "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\""
            + validCode()
            + "\"}}\n");
    elapse(REQUEST_TIMEOUT.multipliedBy(3));
    assertThat(channel.isActive()).as("open while pair is in flight").isTrue();

    pairs.get(0).completeExceptionally(new PairdException(ErrorCode.TIMEOUT, "slow"));
    channel.runPendingTasks();
    elapse(REQUEST_TIMEOUT.minusSeconds(1));
    assertThat(channel.isActive()).isTrue();
    send("{\"v\":1,\"command\":\"status\"}\n");
    elapse(REQUEST_TIMEOUT.minusSeconds(1));
    assertThat(channel.isActive()).as("open: the status answer restarted the wait").isTrue();
    elapse(Duration.ofSeconds(1));

    assertThat(channel.isActive()).isFalse();
    assertThat(responses()).extracting(ControlHandlerTest::code).containsExactly("timeout", "");
  }

  @Test
  void twoObjectsOnOneLine_areABadRequest_andNeitherRuns() throws Exception {
    send("{\"v\":1,\"command\":\"new-key\"} {\"v\":1,\"command\":\"new-key\"}\n");
    send("{\"v\":1,\"command\":\"status\"} trailing\n");

    List<JsonNode> answers = responses();
    assertThat(answers)
        .extracting(ControlHandlerTest::code)
        .containsExactly("bad_request", "bad_request");
    assertThat(answers.get(0).path("error").path("message").textValue())
        .startsWith("something follows the request's JSON value on the same line");
    assertThat(keys.size()).isZero();
    assertThat(channel.isActive()).isTrue();
  }

  @Test
  void callerOutsideTheGroup_isRefusedAndClosedAsItConnects() throws Exception {
    EmbeddedChannel stranger =
        new EmbeddedChannel(initializer(service(), 4, ch -> new Caller(65534, 65534, 77)));

    ByteBuf refusal = stranger.readOutbound();
    JsonNode answer = new ObjectMapper().readTree(refusal.toString(StandardCharsets.UTF_8));
    refusal.release();
    assertThat(answer.path("error").path("code").textValue()).isEqualTo("permission_denied");
    assertThat(answer.path("error").path("message").textValue())
        .startsWith("uid 65534 may not use paird's control socket");
    assertThat(stranger.isActive()).isFalse();
    assertThat(stranger.<Object>readOutbound()).isNull();
  }

  @Test
  void rootPairdsUserAndGroupMembers_areLetIn_andUnreadableCredentialsAreNot() {
    ControlAccess access =
        new ControlAccess(999, 999, "paird", (caller, gid) -> caller.uid() == 1000 && gid == 999);

    assertThat(access.refusal(new Caller(0, 0, 1))).isEmpty();
    assertThat(access.refusal(new Caller(999, 50, 1))).isEmpty();
    assertThat(access.refusal(new Caller(1001, 999, 1))).as("primary group").isEmpty();
    assertThat(access.refusal(new Caller(1000, 1000, 1))).as("supplementary group").isEmpty();
    assertThat(access.refusal(new Caller(1002, 1002, 1))).isPresent();
    assertThat(access.refusal(Caller.UNKNOWN)).isPresent();
  }

  @Test
  void oneUid_getsAQuarterOfTheConnections_andOthersStillGetIn() throws Exception {
    ControlChannelInitializer initializer = initializer(service(), 8, ch -> ch.attr(UID).get());
    List<EmbeddedChannel> mine = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      mine.add(connect(initializer, new Caller(1000, 1000, 100 + i)));
    }

    EmbeddedChannel other = connect(initializer, new Caller(0, 0, 200));
    mine.get(0).close();
    EmbeddedChannel again = connect(initializer, new Caller(1000, 1000, 300));

    assertThat(mine).extracting(EmbeddedChannel::isActive).containsExactly(false, true, false);
    ByteBuf refusal = mine.get(2).readOutbound();
    assertThat(refusal.toString(StandardCharsets.UTF_8))
        .contains(
            "\"busy\"",
            "too many control connections from uid 1000 (2, a quarter of control_max_connections)");
    refusal.release();
    assertThat(other.isActive()).isTrue();
    assertThat(again.isActive()).as("a closed connection frees its place").isTrue();
  }

  @Test
  void root_isHeldOnlyToTheTotal() throws Exception {
    ControlChannelInitializer initializer = initializer(service(), 8, ch -> ch.attr(UID).get());
    List<EmbeddedChannel> root = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      root.add(connect(initializer, new Caller(0, 0, 100 + i)));
    }

    assertThat(root)
        .extracting(EmbeddedChannel::isActive)
        .containsExactly(true, true, true, true, true, true, true, true, false);
    ByteBuf refusal = root.get(8).readOutbound();
    assertThat(refusal.toString(StandardCharsets.UTF_8))
        .contains("\"busy\"", "too many control connections (8, control_max_connections)");
    refusal.release();
  }

  private static final io.netty.util.AttributeKey<Caller> UID =
      io.netty.util.AttributeKey.valueOf(ControlHandlerTest.class, "test-caller");

  /** A channel whose credentials say {@code caller}. */
  private static EmbeddedChannel connect(ControlChannelInitializer initializer, Caller caller)
      throws Exception {
    EmbeddedChannel connection = new EmbeddedChannel(false, false);
    connection.attr(UID).set(caller);
    connection.pipeline().addLast(initializer);
    connection.register();
    return connection;
  }

  private void elapse(Duration time) {
    ticker.advance(time.toNanos(), TimeUnit.NANOSECONDS);
    channel.runScheduledPendingTasks();
  }

  private ControlService service() throws Exception {
    return service(
        TrustStore.open(java.nio.file.Files.createDirectories(dir.resolve("state2"))),
        Runnable::run);
  }

  /** A service without a pairing client, over {@code store}, its disk work on {@code disk}. */
  private ControlService service(TrustStore store, Executor disk) throws Exception {
    return new ControlService(
        TestIdentities.server(dir),
        keys,
        store,
        PairdConfig.defaultConfig(),
        null,
        () -> new PairingLoad(0, 0),
        "h",
        BOUND,
        clock,
        disk);
  }

  /**
   * CONTROL.md, Framing: a client that shuts down its side after its requests (nc -N, socat) gets
   * every answer, in order, and then the connection closes.
   */
  @Test
  void halfClose_afterRequests_answersEachInOrder_thenCloses() throws Exception {
    send(
        "{\"v\":1,\"command\":\"status\",\"id\":1}\n"
            + "{\"v\":1,\"command\":\"new-key\",\"id\":2}\n"
            + "{\"v\":1,\"command\":\"list-keys\",\"id\":3}\n");
    channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    channel.runPendingTasks();

    List<JsonNode> answers = responses();
    assertThat(answers).extracting(a -> a.path("id").intValue()).containsExactly(1, 2, 3);
    assertThat(answers).allMatch(a -> a.path("ok").booleanValue());
    assertThat(answers.get(2).path("result").path("keys")).hasSize(1);
    assertThat(channel.isOpen()).isFalse();
  }

  /**
   * A half-close looks to paird as a client that has gone does: a pair or ping in flight is
   * abandoned (a pair's audit line says so), and the lines queued behind it are not run.
   */
  @ParameterizedTest(name = "ping in flight, pair queued: {0}")
  @ValueSource(booleans = {false, true})
  void halfClose_withAPairOrPingInFlight_abandonsIt(boolean queued) throws Exception {
    ListAppender<ILoggingEvent> audit = new ListAppender<>();
    Logger auditLogger = (Logger) LoggerFactory.getLogger("paird.audit");
    audit.start();
    auditLogger.addAppender(audit);
    String pair =
        "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\""
            + validCode()
            + "\"},\"id\":2}\n";
    try {
      if (queued) {
        send("{\"v\":1,\"command\":\"ping\",\"args\":{\"host\":\"h\"},\"id\":1}\n" + pair);
        assertThat(pings).hasSize(1);
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        channel.runPendingTasks();
        assertThat(pings.get(0)).isCancelled();
        assertThat(pairs).as("pairs begun").isEmpty();
      } else {
        send(pair);
        assertThat(pairs).hasSize(1);
        channel.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
        channel.runPendingTasks();
        assertThat(pairs.get(0)).isCancelled();
      }

      assertThat(channel.isOpen()).isFalse();
      assertThat(responses()).isEmpty();
      assertThat(audit.list)
          .extracting(ILoggingEvent::getFormattedMessage)
          .containsExactly(
              queued
                  ? new String[0]
                  : new String[] {"uid=1000 pid=42 command=pair host=h result=abandoned"});
    } finally {
      auditLogger.detachAppender(audit);
    }
  }

  /**
   * The requester of a pair goes away before its answer: the attempt is cancelled, which abandons
   * it (PairingClient#pair), and the audit line says so, with no error logged.
   */
  @Test
  void connectionClosesWithAPairInFlight_abandonsIt_andTheAuditSaysSo() throws Exception {
    ListAppender<ILoggingEvent> audit = new ListAppender<>();
    Logger auditLogger = (Logger) LoggerFactory.getLogger("paird.audit");
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(ControlHandler.class);
    audit.start();
    log.start();
    auditLogger.addAppender(audit);
    logger.addAppender(log);
    try {
      send(
          "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\""
              + validCode()
              + "\"},\"id\":1}\n");
      assertThat(pairs).hasSize(1);

      channel.close();
      channel.runPendingTasks();

      assertThat(pairs.get(0)).isCancelled();
      assertThat(audit.list)
          .extracting(ILoggingEvent::getFormattedMessage)
          .containsExactly("uid=1000 pid=42 command=pair host=h result=abandoned");
      assertThat(log.list).noneMatch(event -> event.getLevel().isGreaterOrEqual(Level.WARN));
    } finally {
      auditLogger.detachAppender(audit);
      logger.detachAppender(log);
    }
  }

  /**
   * However long the settings let a pair take, paird answers it within its bound, before pairctl
   * stops waiting: at the bound the attempt is abandoned and answered timeout, once.
   */
  @Test
  void pairStillRunningAtTheAnswerBound_isAbandoned_andAnsweredTimeout() throws Exception {
    ListAppender<ILoggingEvent> audit = new ListAppender<>();
    Logger auditLogger = (Logger) LoggerFactory.getLogger("paird.audit");
    audit.start();
    auditLogger.addAppender(audit);
    try {
      send(
          "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\""
              + validCode()
              + "\"},\"id\":1}\n");
      elapse(ControlHandler.PEER_ANSWER_BOUND.minusMillis(1));
      assertThat(responses()).isEmpty();
      assertThat(pairs.get(0)).isNotDone();

      elapse(Duration.ofMillis(1));
      channel.runPendingTasks();

      assertThat(pairs.get(0)).isCancelled();
      List<JsonNode> answers = responses();
      assertThat(answers).extracting(ControlHandlerTest::code).containsExactly("timeout");
      assertThat(answers.get(0).path("error").path("message").textValue())
          .contains("within 85 s")
          .doesNotContain("Exception");
      assertThat(audit.list)
          .extracting(ILoggingEvent::getFormattedMessage)
          .containsExactly("uid=1000 pid=42 command=pair host=h result=error=timeout");
      assertThat(channel.isActive()).as("the connection serves on").isTrue();
      assertThat(ControlHandler.PEER_ANSWER_BOUND)
          .as("answered before pairctl stops waiting (ctl's Request.PEER_TIMEOUT)")
          .isLessThan(Duration.ofSeconds(90));
    } finally {
      auditLogger.detachAppender(audit);
    }
  }

  /**
   * A ping is bounded as a pair is: still running at the bound, it is abandoned and answered
   * timeout; it changes nothing, so nothing is audited. A ping whose connection closes is abandoned
   * too.
   */
  @Test
  void pingStillRunningAtTheAnswerBound_isAbandoned_andAnsweredTimeout_andOneLeftIsAbandoned()
      throws Exception {
    send("{\"v\":1,\"command\":\"ping\",\"args\":{\"host\":\"h\"},\"id\":1}\n");
    elapse(ControlHandler.PEER_ANSWER_BOUND.minusMillis(1));
    assertThat(responses()).isEmpty();
    assertThat(pings.get(0)).isNotDone();

    elapse(Duration.ofMillis(1));
    channel.runPendingTasks();

    assertThat(pings.get(0)).isCancelled();
    assertThat(responses()).extracting(ControlHandlerTest::code).containsExactly("timeout");

    send("{\"v\":1,\"command\":\"ping\",\"args\":{\"host\":\"h\"},\"id\":2}\n");
    assertThat(pings.get(1)).isNotDone();
    channel.close();
    channel.runPendingTasks();

    assertThat(pings.get(1)).isCancelled();
  }

  /** A pair answered before the bound is answered once; the bound's timer goes with it. */
  @Test
  void pairAnsweredBeforeTheBound_isAnsweredOnce() throws Exception {
    send(
        "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\""
            + validCode()
            + "\"},\"id\":1}\n");
    elapse(Duration.ofSeconds(60));
    pairs.get(0).completeExceptionally(new PairdException(ErrorCode.KEY_REJECTED, "rejected"));
    channel.runPendingTasks();
    assertThat(responses()).extracting(ControlHandlerTest::code).containsExactly("key_rejected");

    elapse(ControlHandler.PEER_ANSWER_BOUND);

    assertThat(responses()).isEmpty();
  }

  /** A request that is no pair or ping runs to its end all the same when its connection closes. */
  @Test
  void connectionClosesWithARemoveInFlight_theRemoveStillRuns() throws Exception {
    ManualExecutor disk = new ManualExecutor();
    DeviceIdentity peer = TestIdentities.client(dir);
    trust.put(peer.certificate(), "peer", Suite.SPAKE2, Optional.empty(), clock.instant());
    channel.close();
    channel =
        new EmbeddedChannel(
            new Wire(),
            new ControlHandler(service(trust, disk), REQUEST_TIMEOUT, new UnreadAnswers()));
    String fingerprint = Certificates.fingerprint(peer.certificate());
    send("{\"v\":1,\"command\":\"remove\",\"args\":{\"fingerprint\":\"" + fingerprint + "\"}}\n");

    channel.close();
    disk.runAll();
    channel.runPendingTasks();

    assertThat(trust.list()).isEmpty();
  }

  @Test
  void malformedKey_isRefusedBeforeThePairingClientIsCalled() throws Exception {
    send("{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\"12-3456-7890-1\"}}\n");

    assertThat(responses()).extracting(ControlHandlerTest::code).containsExactly("malformed_key");
    assertThat(pairs).isEmpty();
  }

  @Test
  void tooManyConnections_getBusy() throws Exception {
    ControlChannelInitializer initializer = initializer(service(), 1, ch -> CALLER);
    EmbeddedChannel first = new EmbeddedChannel(initializer);
    EmbeddedChannel second = new EmbeddedChannel(initializer);

    ByteBuf refusal = second.readOutbound();
    assertThat(refusal.toString(StandardCharsets.UTF_8)).contains("\"busy\"");
    refusal.release();
    assertThat(second.isActive()).isFalse();
    assertThat(first.isActive()).isTrue();
  }

  private String validCode() throws Exception {
    return dev.paird.api.Spake2Code.create(12, "90210573".getBytes(StandardCharsets.US_ASCII))
        .format();
  }
}
