package dev.paird.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.PairingCode;
import dev.paird.config.ListenAddress;
import dev.paird.config.PairdConfig;
import dev.paird.identity.DeviceIdentity;
import dev.paird.keys.PendingKeys;
import dev.paird.net.PairingClient;
import dev.paird.testing.FakeClock;
import dev.paird.testing.TestIdentities;
import dev.paird.trust.TrustStore;
import dev.paird.trust.TrustedPeer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control pipeline on an EmbeddedChannel: framing, error paths, ordering and bounds. */
final class ControlHandlerTest {
  @TempDir Path dir;

  /** Bound with listen = *:0: the kernel's choice, not the configured (default) port. */
  private static final ListenAddress BOUND = new ListenAddress(Optional.empty(), 40123);

  private final FakeClock clock = new FakeClock();
  private final List<CompletableFuture<TrustedPeer>> pairs = new ArrayList<>();
  private PendingKeys keys;
  private EmbeddedChannel channel;

  @BeforeEach
  void setUp() throws Exception {
    DeviceIdentity identity = TestIdentities.server(dir);
    keys = new PendingKeys(4, 3, 8, clock, new SecureRandom());
    PairingClient pairing = new PairingClient() {
      @Override
      public CompletableFuture<TrustedPeer> pair(String host, PairingCode code, Optional<String> label) {
        CompletableFuture<TrustedPeer> pending = new CompletableFuture<>();
        pairs.add(pending);
        return pending;
      }

      @Override
      public CompletableFuture<PingResult> ping(String host) {
        return CompletableFuture.failedFuture(new PairdException(ErrorCode.NOT_TRUSTED, "no"));
      }
    };
    ControlService service = new ControlService(identity, keys, TrustStore.open(java.nio.file.Files.createDirectories(dir.resolve("state"))),
        PairdConfig.defaultConfig(), pairing, "test-host", BOUND, clock, Runnable::run);
    channel = new EmbeddedChannel(new ControlChannelInitializer(
        service, 4, Duration.ofSeconds(60), ch -> new Caller(1000, 1000, 42)));
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
    for (String line : text.toString().split("\n")) {
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

    assertThat(responses()).extracting(ControlHandlerTest::code).containsExactly(
        "bad_request", "bad_request", "unsupported_version", "unknown_command", "bad_request",
        "invalid_argument", "invalid_argument", "not_found", "bad_request", "");
  }

  @Test
  void oversizedLine_isRefused_andTheNextRequestIsServed() throws Exception {
    send("{\"v\":1,\"pad\":\"" + "x".repeat(ControlProtocol.MAX_REQUEST_BYTES) + "\"}\n");
    send("{\"v\":1,\"command\":\"status\"}\n");

    List<JsonNode> answers = responses();
    assertThat(answers).extracting(ControlHandlerTest::code).containsExactly("request_too_large", "");
    assertThat(channel.isActive()).isTrue();
  }

  @Test
  void requestSplitAcrossManyReads_isAnswered() throws Exception {
    String request = "{\"v\":1,\"command\":\"new-key\",\"args\":{\"suite\":\"hmac\"}}\n";
    for (char c : request.toCharArray()) {
      send(String.valueOf(c));
    }

    assertThat(responses()).singleElement()
        .satisfies(r -> assertThat(r.path("result").path("suite").asText()).isEqualTo("hmac"));
  }

  @Test
  void pipelinedRequests_areAnsweredInOrder_evenBehindASlowOne() throws Exception {
    send("{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\"" + validCode() + "\"},\"id\":1}\n"
        + "{\"v\":1,\"command\":\"status\",\"id\":2}\n"
        + "garbage\n"
        + "{\"v\":1,\"command\":\"list-keys\",\"id\":4}\n");
    assertThat(responses()).isEmpty(); // everything waits behind the pair in flight

    pairs.get(0).completeExceptionally(new PairdException(ErrorCode.KEY_REJECTED, "rejected"));
    channel.runPendingTasks();

    List<JsonNode> answers = responses();
    assertThat(answers).extracting(ControlHandlerTest::code)
        .containsExactly("key_rejected", "", "bad_request", "");
    assertThat(answers.get(0).get("id").asInt()).isEqualTo(1);
    assertThat(answers.get(3).get("id").asInt()).isEqualTo(4);
  }

  @Test
  void tooManyQueuedRequests_closeTheConnection() throws Exception {
    StringBuilder burst = new StringBuilder();
    burst.append("{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\"")
        .append(validCode()).append("\"}}\n");
    for (int i = 0; i <= ControlHandler.MAX_QUEUED; i++) {
      burst.append("{\"v\":1,\"command\":\"status\"}\n");
    }

    send(burst.toString());

    assertThat(responses()).extracting(ControlHandlerTest::code).containsExactly("busy");
    assertThat(channel.isActive()).isFalse();
  }

  @Test
  void idleConnection_isClosed_butNotWhileARequestIsInFlight() throws Exception {
    send("{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\"" + validCode() + "\"}}\n");
    channel.pipeline().fireUserEventTriggered(io.netty.handler.timeout.IdleStateEvent.READER_IDLE_STATE_EVENT);
    assertThat(channel.isActive()).isTrue();

    pairs.get(0).completeExceptionally(new PairdException(ErrorCode.TIMEOUT, "slow"));
    channel.runPendingTasks();
    channel.pipeline().fireUserEventTriggered(io.netty.handler.timeout.IdleStateEvent.READER_IDLE_STATE_EVENT);

    assertThat(channel.isActive()).isFalse();
  }

  @Test
  void malformedKey_isRefusedBeforeThePairingClientIsCalled() throws Exception {
    send("{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"h\",\"key\":\"12-3456-7890-1\"}}\n");

    assertThat(responses()).extracting(ControlHandlerTest::code).containsExactly("malformed_key");
    assertThat(pairs).isEmpty();
  }

  @Test
  void tooManyConnections_getBusy() throws Exception {
    ControlChannelInitializer initializer = new ControlChannelInitializer(
        new ControlService(TestIdentities.server(dir), keys,
            TrustStore.open(java.nio.file.Files.createDirectories(dir.resolve("state2"))), PairdConfig.defaultConfig(), null, "h",
            BOUND, clock, Runnable::run),
        1, Duration.ofSeconds(60), ch -> Caller.UNKNOWN);
    EmbeddedChannel first = new EmbeddedChannel(initializer);
    EmbeddedChannel second = new EmbeddedChannel(initializer);

    ByteBuf refusal = second.readOutbound();
    assertThat(refusal.toString(StandardCharsets.UTF_8)).contains("\"busy\"");
    refusal.release();
    assertThat(second.isActive()).isFalse();
    assertThat(first.isActive()).isTrue();
  }

  private String validCode() throws Exception {
    return dev.paird.api.Spake2Code.create(12, "90210573".getBytes(StandardCharsets.US_ASCII)).format();
  }
}
