package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * CONTROL.md, Framing: a client that shuts down its side of the connection after its request lines
 * (a half-close, as {@code nc -N} and {@code socat} make at the end of their input) is answered,
 * each request in order, and then the connection ends; a request that waits on a key or another
 * device is ended by the half-close, as by a close. A real paird, the JDK's Unix socket as the
 * client.
 */
final class HalfCloseIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How long the test waits for paird's answers and its end of the connection. */
  private static final Duration BOUND = Duration.ofSeconds(20);

  @RegisterExtension final StartedPairds started = new StartedPairds();
  @TempDir Path dir;
  private PairdProcess.Options options;

  @BeforeEach
  void start() throws Exception {
    options = PairdProcess.in(dir);
    started.add(options.start());
  }

  /** A line left without its newline is no request and gets no answer. */
  @Test
  void requestsThenHalfClose_eachIsAnsweredInOrder_thenTheConnectionEnds() throws Exception {
    List<String> answers =
        halfClose(
            "{\"v\":1,\"command\":\"status\",\"id\":1}\n"
                + "{\"v\":1,\"command\":\"new-key\",\"id\":2}\n"
                + "{\"v\":1,\"command\":\"list-keys\",\"id\":3}\n"
                // No newline: not a request.
                + "{\"v\":1,\"command\":\"status\",\"id\":4}");

    assertThat(answers).hasSize(3);
    List<JsonNode> parsed = new ArrayList<>();
    for (String answer : answers) {
      parsed.add(JSON.readTree(answer));
    }
    assertThat(parsed).extracting(a -> a.path("id").intValue()).containsExactly(1, 2, 3);
    assertThat(parsed).allMatch(a -> a.path("ok").booleanValue(), "ok");
    assertThat(parsed.get(2).path("result").path("keys").findValuesAsText("id"))
        .containsExactly(parsed.get(1).path("result").path("id").textValue());
  }

  /**
   * The most a client may send ahead of its answers (CONTROL.md: the one being served and 8 behind
   * it), then a half-close: each is answered in order, and every key made was shown.
   */
  @Test
  void fullQueueThenHalfClose_eachIsAnsweredInOrder() throws Exception {
    StringBuilder lines = new StringBuilder();
    List<Integer> ids = new ArrayList<>();
    for (int id = 1; id <= 1 + 8; id++) {
      lines.append("{\"v\":1,\"command\":\"new-key\",\"id\":").append(id).append("}\n");
      ids.add(id);
    }

    List<String> answers = halfClose(lines.toString());

    List<JsonNode> parsed = new ArrayList<>();
    for (String answer : answers) {
      parsed.add(JSON.readTree(answer));
    }
    assertThat(parsed).extracting(a -> a.path("id").intValue()).isEqualTo(ids);
    assertThat(parsed).allMatch(a -> a.path("ok").booleanValue(), "ok");
    JsonNode keys =
        JSON.readTree(Pairctl.exchange(options.socket(), "{\"v\":1,\"command\":\"list-keys\"}\n"));
    assertThat(keys.path("result").path("keys").findValuesAsText("id"))
        .as("the keys pending are those shown")
        .containsExactlyInAnyOrderElementsOf(
            parsed.stream().map(a -> a.path("result").path("id").textValue()).toList());
  }

  @Test
  void waitKeyThenHalfClose_isEndedUnanswered_andTheKeyStaysPending() throws Exception {
    JsonNode issued =
        JSON.readTree(
            Pairctl.exchange(options.socket(), "{\"v\":1,\"command\":\"new-key\",\"id\":1}\n"));
    String id = issued.path("result").path("id").textValue();

    List<String> answers =
        halfClose("{\"v\":1,\"command\":\"wait-key\",\"args\":{\"id\":\"" + id + "\"},\"id\":2}\n");

    assertThat(answers).isEmpty();
    JsonNode keys =
        JSON.readTree(
            Pairctl.exchange(options.socket(), "{\"v\":1,\"command\":\"list-keys\",\"id\":3}\n"));
    assertThat(keys.path("result").path("keys").findValuesAsText("id")).containsExactly(id);
  }

  /** Sends {@code lines}, shuts down the sending side, and reads every line until paird's end. */
  private List<String> halfClose(String lines) throws Exception {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(options.socket()));
      ByteBuffer bytes = ByteBuffer.wrap(lines.getBytes(StandardCharsets.UTF_8));
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      channel.shutdownOutput();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
      List<String> answers = new ArrayList<>();
      for (String line = Pairctl.readLineOrEnd(in, BOUND);
          line != null;
          line = Pairctl.readLineOrEnd(in, BOUND)) {
        answers.add(line);
      }
      return answers;
    }
  }
}
