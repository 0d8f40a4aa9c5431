package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.ctl.PairctlCalls;
import dev.paird.daemon.Pairctl.Result;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket of a real paird, from outside: its mode from the first moment, the credential
 * check behind that mode, many callers at once, and a line holding two requests. The tests share
 * one paird: none leaves a key or a peer behind, and the one that opens the socket's mode puts it
 * back.
 */
final class ControlSocketIT {
  @TempDir static Path tmp;

  private static Path socket;
  private static Pairctl ctl;
  private static PairdProcess paird;

  @BeforeAll
  static void start() throws Exception {
    // Searchable by all, so that another user reaches the socket and only its checks stop them.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    PairdProcess.Options options = PairdProcess.in(tmp);
    socket = options.socket();
    ctl = options.pairctl();
    paird = options.start();
  }

  @AfterAll
  static void stop() throws Exception {
    paird.close();
  }

  @Test
  void socket_isReadyWithItsFinalMode_andLeavesNothingElseInItsDirectory() throws Exception {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)))
        .isEqualTo("rw-rw----");
    try (var entries = Files.list(tmp)) {
      assertThat(entries.map(p -> p.getFileName().toString()))
          .as("the private directory it was bound in is gone")
          .noneMatch(name -> name.startsWith(".p"));
    }
  }

  @Test
  void callerOutsideTheGroup_isRefusedEvenWhenTheFileModeLetsItIn() throws Exception {
    assumeTrue(
        Pairctl.canRunAsNobody(tmp), "needs root and setpriv to run pairctl as another user");
    Set<PosixFilePermission> mode = Files.getPosixFilePermissions(socket);
    Result asNobody;
    try {
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));

      asNobody = Pairctl.run(tmp, Pairctl.asNobody(tmp, socket, "--json", "new-key"));
    } finally {
      Files.setPosixFilePermissions(socket, mode);
    }

    assertThat(asNobody.status()).as(asNobody.err()).isEqualTo(4);
    assertThat(asNobody.json().path("error").path("code").textValue())
        .isEqualTo("permission_denied");
    assertThat(asNobody.err())
        .startsWith(
            "pairctl: uid 65534 may not use paird's control"
                + " socket: only root, paird's user (uid 0) and members of the group 'root' (gid 0)"
                + " may");
    assertThat(ctl.look(Command.STATUS).path("pending_keys").intValue()).isZero();
    assertThat(paird.log())
        .contains("uid=65534 pid=")
        .contains(
            " connection refused: not root," + " paird's user or a member of the socket's group");
  }

  /**
   * 200 callers at once, more than six times what paird takes (32 connections; these run as root,
   * which is held only to that total, not to 8 per uid): every one is served, those turned away as
   * busy connecting again. 200 pairctl JVMs would take minutes on two cores, so the 200 are calls
   * of pairctl's own client code in this JVM, all released together; then 12 real pairctl
   * processes, started together, to show the same of the programs a user runs. Twelve JVM starts
   * already keep both cores busy for seconds; 40, as before, stalled every other test running
   * beside this one for some 20 s.
   */
  @Test
  void manyConcurrentStatusCalls_allSucceed() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(200);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<JsonNode>> results = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        results.add(
            callers.submit(
                () -> {
                  go.await();
                  return PairctlCalls.status(socket);
                }));
      }
      go.countDown();
      for (Future<JsonNode> result : results) {
        assertThat(
                result
                    .get(Pairctl.TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .path("pending_keys")
                    .intValue())
            .isZero();
      }
    } finally {
      callers.shutdownNow();
    }

    List<Process> processes = new ArrayList<>();
    List<Path> errors = new ArrayList<>();
    try {
      for (int i = 0; i < 12; i++) {
        Path err = tmp.resolve("err" + i + ".txt");
        errors.add(err);
        processes.add(
            new ProcessBuilder(Pairctl.PAIRCTL.toString(), "--socket", socket.toString(), "status")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile())
                .start());
      }
      for (int i = 0; i < processes.size(); i++) {
        Process process = processes.get(i);
        assertThat(process.waitFor(Pairctl.TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue())
            .as("pairctl %d: %s", i, Files.readString(errors.get(i)))
            .isZero();
      }
    } finally {
      processes.forEach(Process::destroyForcibly);
    }
  }

  @Test
  void twoRequestsOnOneLine_areABadRequest_andNeitherRuns() throws Exception {
    JsonNode answer =
        Pairctl.JSON.readTree(
            Pairctl.exchange(
                socket,
                "{\"v\":1,\"command\":\"new-key\"}" + "{\"v\":1,\"command\":\"new-key\"}\n"));

    assertThat(answer.path("error").path("code").textValue()).isEqualTo("bad_request");
    assertThat(answer.path("error").path("message").textValue())
        .startsWith("something follows the request's JSON value on the same line");
    assertThat(ctl.look(Command.STATUS).path("pending_keys").intValue()).isZero();
  }

  /**
   * SECURITY.md, "The control socket": one uid other than root holds at most a quarter of the
   * connections (8 of 32). A Python client runs as uid 65534 in the socket's group (gid 0 here),
   * which lets it in, opens 8 connections, each answered a status before the next opens (so paird
   * has counted it), then a 9th, and reads what the 9th is told: busy without an id, before it sent
   * anything. One of the 8 is still served.
   */
  @Test
  void oneUid_holdsAQuarterOfTheConnections_theNextIsToldBusy() throws Exception {
    assumeTrue(
        Pairctl.canRunAsNobody(tmp) && Files.isExecutable(Path.of("/usr/bin/python3")),
        "needs root, setpriv and /usr/bin/python3 to connect as another uid");
    String client =
        String.join(
            "\n",
            "import json, socket, sys",
            "def status(s, i):",
            "    s.sendall(b'{\"v\":1,\"command\":\"status\",\"id\":%d}\\n' % i)",
            "    return json.loads(s.makefile().readline())['ok']",
            "held = []",
            "for i in range(8):",
            "    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
            "    s.settimeout(20)",
            "    s.connect(sys.argv[1])",
            "    assert status(s, i)  # counted by paird before the next one opens",
            "    held.append(s)",
            "ninth = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
            "ninth.connect(sys.argv[1])",
            "ninth.settimeout(20)",
            "print(ninth.makefile().readline().strip())",
            "print(status(held[0], 8))");
    List<String> command =
        new ArrayList<>(
            List.of(Pairctl.SETPRIV.toString(), "--reuid=65534", "--regid=0", "--clear-groups"));
    command.addAll(List.of("/usr/bin/python3", "-c", client, socket.toString()));

    Result run = Pairctl.run(tmp, command);

    assertThat(run.status()).as(run.err()).isZero();
    List<String> lines = run.out().lines().toList();
    JsonNode ninth = Pairctl.JSON.readTree(lines.get(0));
    assertThat(ninth.path("error").path("code").textValue()).isEqualTo("busy");
    assertThat(ninth.has("id")).as("%s", ninth).isFalse();
    assertThat(lines.get(1)).as("one of the eight held is served").isEqualTo("True");
    assertThat(ctl.look(Command.STATUS).path("pending_keys").intValue()).isZero();
  }

  /**
   * CONTROL.md, "Framing": requests sent ahead of their answers are answered in order; past the
   * queue, those already taken are answered and ran, one busy without an id follows, and nothing
   * after it ran. The burst is one write of under 2 KiB, which paird reads at once, behind a pair
   * request whose answer needs the same event loop; so the queue is full before anything is
   * answered.
   */
  @Test
  void pipelinedBeyondTheQueue_answeredInOrder_thenBusy_andNothingAfterItRan() throws Exception {
    StringBuilder burst = new StringBuilder(pairToNowhere(1));
    for (int id = 2; id <= 9; id++) {
      burst.append("{\"v\":1,\"command\":\"status\",\"id\":").append(id).append("}\n");
    }
    burst.append("{\"v\":1,\"command\":\"new-key\",\"id\":10}\n");
    burst.append("{\"v\":1,\"command\":\"new-key\",\"id\":11}\n");
    assertThat(burst.length()).isLessThan(2048);

    List<JsonNode> answers =
        sendAndRead(burst.toString().getBytes(StandardCharsets.UTF_8), 10, true);

    assertThat(answers.get(0).path("id").intValue()).isEqualTo(1);
    assertThat(answers.get(0).path("error").path("code").textValue()).isEqualTo("peer_unreachable");
    for (int i = 1; i <= 8; i++) {
      assertThat(answers.get(i).path("id").intValue()).isEqualTo(i + 1);
      assertThat(answers.get(i).path("ok").booleanValue()).as("%s", answers.get(i)).isTrue();
    }
    JsonNode busy = answers.get(9);
    assertThat(busy.path("error").path("code").textValue()).isEqualTo("busy");
    assertThat(busy.has("id")).as("%s", busy).isFalse();
    assertThat(ctl.look(Command.STATUS).path("pending_keys").intValue())
        .as("new-key 10 and 11 did not run")
        .isZero();
  }

  /** A line too long is answered in its turn, not ahead of a request still being served. */
  @Test
  void oversizedLine_behindAPair_isAnsweredAfterIt() throws Exception {
    String burst =
        pairToNowhere(1)
            + "{\"v\":1,\"pad\":\""
            + "x".repeat(9000)
            + "\"}\n"
            + "{\"v\":1,\"command\":\"status\",\"id\":3}\n";

    List<JsonNode> answers = sendAndRead(burst.getBytes(StandardCharsets.UTF_8), 3, false);

    assertThat(answers)
        .extracting(a -> a.path("error").path("code").asText("ok"))
        .containsExactly("peer_unreachable", "request_too_large", "ok");
    assertThat(answers.get(2).path("id").intValue()).isEqualTo(3);
  }

  /** CONTROL.md: input that is not UTF-8 is a bad request, also when JSON could be read from it. */
  @Test
  void requestInUtf16_isABadRequest() throws Exception {
    byte[] utf16 = "{\"v\":1,\"command\":\"new-key\"}\n".getBytes(StandardCharsets.UTF_16LE);

    List<JsonNode> answers = sendAndRead(utf16, 1, false);

    assertThat(answers.get(0).path("error").path("code").textValue()).isEqualTo("bad_request");
    assertThat(ctl.look(Command.STATUS).path("pending_keys").intValue()).isZero();
  }

  /**
   * A pair request line, with a key this paird issued and then cancelled, to a loopback port where
   * nothing listens: it fails as peer_unreachable on the control connection's event loop.
   */
  private String pairToNowhere(int id) throws Exception {
    JsonNode issued =
        Pairctl.JSON.readTree(Pairctl.exchange(socket, "{\"v\":1,\"command\":\"new-key\"}\n"));
    String key = issued.path("result").path("key").textValue();
    JsonNode cancelled =
        Pairctl.JSON.readTree(
            Pairctl.exchange(
                socket,
                "{\"v\":1,\"command\":\"cancel-key\",\"args\":{\"id\":\""
                    + issued.path("result").path("id").textValue()
                    + "\"}}\n"));
    assertThat(cancelled.path("ok").booleanValue()).as("%s", cancelled).isTrue();
    int port;
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = closed.getLocalPort();
    }
    return "{\"v\":1,\"command\":\"pair\",\"args\":{\"host\":\"127.0.0.1:"
        + port
        + "\",\"key\":\""
        + key
        + "\"},\"id\":"
        + id
        + "}\n";
  }

  /**
   * Sends {@code bytes} in one write on a fresh connection, reads {@code lines} answers, and, if
   * {@code thenClosed}, checks that paird closes the connection after them.
   */
  private List<JsonNode> sendAndRead(byte[] bytes, int lines, boolean thenClosed) throws Exception {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
      List<JsonNode> answers = new ArrayList<>();
      while (answers.size() < lines) {
        answers.add(Pairctl.JSON.readTree(Pairctl.readLine(in)));
      }
      if (thenClosed) {
        String more = Pairctl.readLineOrEnd(in, Pairctl.TIMEOUT);
        assertThat(more).as("nothing after the answers: paird closed the connection").isNull();
      }
      return answers;
    }
  }
}
