package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pairctl against a paird that turns connections away as busy: it connects again after jittered,
 * growing pauses, within its time budget, and never repeats a request that paird answered. Time is
 * a counter that the pauses advance; nothing sleeps.
 */
final class BusyRetryTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String TURNED_AWAY =
      "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"busy\","
          + "\"message\":\"too many control connections\"}}";

  @TempDir Path dir;

  private final AtomicLong now = new AtomicLong();
  private final List<Duration> pauses = new ArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final List<String> requests = new ArrayList<>();
  private ServerSocketChannel server;
  private Thread thread;

  /** Serves connections on a socket: the first {@code refusals} get {@code busy} unread. */
  private void serve(int refusals, String answer) throws IOException {
    server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(dir.resolve("control.sock")));
    thread =
        new Thread(
            () -> {
              try {
                while (true) {
                  try (SocketChannel channel = server.accept()) {
                    if (connections.incrementAndGet() <= refusals) {
                      write(channel, TURNED_AWAY);
                      continue;
                    }
                    ByteBuffer in = ByteBuffer.allocate(8192);
                    while (in.position() == 0 || in.get(in.position() - 1) != '\n') {
                      if (channel.read(in) < 0) {
                        break;
                      }
                    }
                    synchronized (requests) {
                      requests.add(
                          new String(in.array(), 0, in.position(), StandardCharsets.UTF_8));
                    }
                    write(channel, answer);
                  }
                }
              } catch (IOException e) {
                // The test closed the server.
              }
            },
            "busy-paird");
    thread.setDaemon(true);
    thread.start();
  }

  private static void write(SocketChannel channel, String line) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
      thread.join(10_000);
    }
  }

  private Backoff backoff(Duration budget) {
    return new Backoff(
        budget,
        Duration.ofMillis(10),
        Duration.ofSeconds(1),
        now::get,
        pause -> {
          pauses.add(pause);
          now.addAndGet(pause.toNanos());
        },
        new Random(1));
  }

  private JsonNode status(Backoff backoff) throws PairdException {
    ControlClient.Opened opened =
        ControlClient.open(
            dir.resolve("control.sock"), TIMEOUT, Command.STATUS, Json.object(), TIMEOUT, backoff);
    opened.client().close();
    return opened.result();
  }

  @Test
  void open_turnedAwayThreeTimes_connectsAgainAfterGrowingJitteredPauses() throws Exception {
    serve(3, "{\"v\":1,\"ok\":true,\"result\":{\"pending_keys\":0},\"id\":1}");

    JsonNode result = status(backoff(Duration.ofSeconds(30)));

    assertThat(result.path("pending_keys").intValue()).isZero();
    assertThat(connections.get()).isEqualTo(4);
    assertThat(requests).hasSize(1);
    assertThat(pauses).hasSize(3);
    for (int i = 0; i < pauses.size(); i++) {
      Duration ceiling = Duration.ofMillis(10L << i);
      assertThat(pauses.get(i)).as("pause %d", i + 1).isBetween(ceiling.dividedBy(2), ceiling);
    }
  }

  @Test
  void open_alwaysTurnedAway_givesUpWithinTheBudget_andSaysBusy() throws Exception {
    serve(Integer.MAX_VALUE, "unused");

    assertThatThrownBy(() -> status(backoff(Duration.ofSeconds(5))))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BUSY));
    assertThat(Duration.ofNanos(now.get()))
        .isLessThanOrEqualTo(Duration.ofSeconds(5))
        .isGreaterThan(Duration.ofSeconds(3));
    assertThat(pauses).allSatisfy(p -> assertThat(p).isLessThanOrEqualTo(Duration.ofSeconds(1)));
    assertThat(connections.get()).isEqualTo(pauses.size() + 1);
  }

  @Test
  void open_busyAnswerToTheRequestItself_isNotRetried() throws Exception {
    serve(
        0,
        "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"busy\",\"message\":\"the other device"
            + " is busy\"},\"id\":1}");

    assertThatThrownBy(() -> status(backoff(Duration.ofSeconds(30))))
        .isInstanceOfSatisfying(
            PairdException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BUSY));
    assertThat(connections.get()).isEqualTo(1);
    assertThat(pauses).isEmpty();
  }
}
