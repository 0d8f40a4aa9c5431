package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.trust.HubFill;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CONTROL.md, Framing: paird holds at most 32 MiB of long answers that control clients have not
 * read, for all connections together; a request whose long answer does not fit is answered {@code
 * busy}, with its {@code id}, and short answers are never refused. Against a real paird with a
 * hub's 10,000 peers, whose {@code list-trusted} answer is some 3 MB: a client (raw JSON lines, no
 * pairctl code) asks for it on one connection after another and reads only the start of each
 * answer. Without the bound paird would hold every one of them, one connection's worth of direct
 * memory each, for as long as the client likes.
 */
final class UnreadAnswersIT {
  /** CONTROL.md, Framing (UnreadAnswers.BOUND). */
  private static final long BOUND = 32L << 20;

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static LiveDaemon hub;

  @BeforeAll
  static void start() throws Exception {
    HubFill.main(new String[] {dir.resolve("hub/state").toString(), "10000"});
    hub = LiveDaemon.start(dir, "hub");
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(hub);
  }

  @Test
  void unreadListAnswers_areHeldUpToTheBound_thenBusy_andFreedWhenTheirClientCloses()
      throws Exception {
    // Each answer's length, its newline included, as paird takes it from the bound: ids of one
    // digit make the shortest.
    int length = wholeList(1).length + 1;
    int fit = 0;
    long held = 0;
    while (held + length + digits(fit + 1) - 1 <= BOUND) {
      fit++;
      held += length + digits(fit) - 1;
    }
    assertThat(fit)
        .as("list-trusted answers of %d bytes within the bound", length)
        .isBetween(2, 24);
    List<ControlConnection> unread = new ArrayList<>();
    try {
      for (int id = 1; id <= fit; id++) {
        ControlConnection connection = ControlConnection.open(hub.socket);
        unread.add(connection);
        connection.send(listTrusted(id));
        assertThat(connection.readStart(200, WAIT))
            .as("the start of answer %d of %d that fit", id, fit)
            .doesNotContain("\n")
            .contains("\"ok\":true");
      }

      try (ControlConnection over = ControlConnection.open(hub.socket)) {
        over.send(listTrusted(99));
        JsonNode busy = JSON.readTree(over.readLine(WAIT));
        assertThat(busy.path("ok").asBoolean(true)).isFalse();
        assertThat(busy.path("id").asInt()).as("the request's id").isEqualTo(99);
        assertThat(busy.path("error").path("code").textValue()).isEqualTo("busy");
        assertThat(busy.path("error").path("message").textValue())
            .contains("32 MiB")
            .contains("try again");

        over.send("{\"v\":1,\"id\":100,\"command\":\"status\"}");
        JsonNode status = JSON.readTree(over.readLine(WAIT));
        assertThat(status.path("ok").asBoolean()).as("a short answer: %s", status).isTrue();
        assertThat(status.path("result").path("trusted_peers").asInt()).isEqualTo(10_000);
      }

      // A client that closes gives its answer's room back: the next list is answered whole.
      unread.remove(0).close();
      wholeList(101);
    } finally {
      for (ControlConnection connection : unread) {
        connection.close();
      }
    }
  }

  /** A whole {@code list-trusted} answer, read on a connection of its own, without its newline. */
  private static byte[] wholeList(int id) throws Exception {
    try (ControlConnection connection = ControlConnection.open(hub.socket)) {
      connection.send(listTrusted(id));
      String line = connection.readLine(WAIT);
      JsonNode answer = JSON.readTree(line);
      assertThat(answer.path("ok").asBoolean()).as("list-trusted answered").isTrue();
      assertThat(answer.path("result").path("peers")).hasSize(10_000);
      return line.getBytes(StandardCharsets.UTF_8);
    }
  }

  private static int digits(int id) {
    return Integer.toString(id).length();
  }

  private static String listTrusted(int id) {
    return "{\"v\":1,\"id\":" + id + ",\"command\":\"list-trusted\"}";
  }
}
