package dev.paird.ctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.paird.api.Spake2Code;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.AbstractStringAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * CONTROL.md, "Who pairctl talks to": the launcher packaging/bin/pairctl running {@code pair HOST <
 * keyfile} against stand-ins for paird that are not paird's code, where another user could have put
 * them. It refuses without sending the key, and the stand-in receives nothing. These tests run as
 * root, so "another user" is a directory's mode, or a listener run as uid 65534.
 */
final class SocketCheckIT {
  private static final String KEY =
      Spake2Code.create(42, "13572468".getBytes(StandardCharsets.US_ASCII)).format();
  private static final String PEER =
      "{\"peer\":{\"fingerprint\":"
          + "\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
          + "\"subject\":\"CN=laptop\",\"host\":\"127.0.0.1:7247\",\"suite\":\"spake2\"}}";

  @TempDir Path dir;

  private static int self() throws Exception {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
  }

  /** {@code pairctl --socket SOCKET pair 127.0.0.1 < KEYFILE}. */
  private Launcher.Run pair(Path socket) throws Exception {
    Path keyFile = dir.resolve("key");
    if (!Files.exists(keyFile)) {
      Files.writeString(keyFile, KEY + "\n");
    }
    return Launcher.run(
        dir,
        keyFile,
        dir.resolve("err.txt"),
        List.of("--socket", socket.toString(), "pair", "127.0.0.1"));
  }

  /** Checks that {@code run} was refused with status 4, saying {@code start} and not the key. */
  private static AbstractStringAssert<?> assertRefused(Launcher.Run run, String start) {
    assertThat(run.status()).as(run.err()).isEqualTo(4);
    return assertThat(run.err())
        .startsWith(start)
        .doesNotContain(KEY)
        .doesNotContain(KEY.replace("-", ""));
  }

  /**
   * In a sticky directory such as /tmp anyone may take the socket's name while paird is stopped.
   */
  @ParameterizedTest
  @CsvSource({
    "0777, '', true",
    "1777, ' while paird is stopped', false",
  })
  void pair_socketInADirectoryEveryUserMayWriteTo_isRefused_andTheListenerReceivesNothing(
      String mode, String risk, boolean chmod) throws Exception {
    Path open = Files.createDirectory(dir.resolve("open"));
    Files.setAttribute(open, "unix:mode", Integer.parseInt(mode, 8));
    Path socket = open.resolve("control.sock");
    // One connection only: had the refused pairctl connected, the last one could not.
    try (FakeDaemon listener =
        FakeDaemon.start(socket, FakeDaemon.ok("{\"pending_keys\":0}"), FakeDaemon.ok(PEER))) {
      assertRefused(
              pair(socket),
              "pairctl: will not use "
                  + socket
                  + ": its directory "
                  + open.toRealPath()
                  + " may be written to by every user (owner uid "
                  + self()
                  + ", mode "
                  + mode
                  + "), and any of them could put a socket of their own in its place"
                  + risk
                  + " and receive what pairctl sends, keys included; point --socket or"
                  + " PAIRD_SOCKET at paird's socket in a directory that only root or paird's user"
                  + " may write to, such as /run/paird/control.sock")
          .endsWith(
              chmod
                  ? ", or have the directory's owner run `chmod go-w " + open.toRealPath() + "`\n"
                  : "/run/paird/control.sock\n");
      assertThat(listener.requests()).isEmpty();

      Files.setAttribute(open, "unix:mode", 0755);
      Launcher.Run paired = pair(socket);

      assertThat(paired.status()).as(paired.err()).isZero();
      assertThat(listener.requests()).hasSize(2);
      assertThat(listener.requests().get(1)).contains("\"key\":\"" + KEY.replace("-", "") + "\"");
    }
  }

  /**
   * A listener of uid 65534's, moved into a directory of root's (as root could, or anyone while the
   * directory was still open to them): the directories pass, the server's credentials ({@code
   * SO_PEERCRED}) do not. pairctl connects, reads them and closes without writing a byte. The
   * listener, Python run as nobody, prints what each connection sent, in the order they came; a
   * last connection from this test ends it, so everything pairctl did came before it.
   */
  @Test
  void pair_socketServedByAnotherUser_isRefused_andTheListenerReceivesNothing() throws Exception {
    Path setpriv = Path.of("/usr/bin/setpriv");
    Path python = Path.of("/usr/bin/python3");
    assumeTrue(
        self() == 0 && Files.isExecutable(setpriv) && Files.isExecutable(python),
        "needs root, setpriv and python3 to listen as another user");
    Files.setAttribute(dir, "unix:mode", 0755);
    Path theirs = Files.createDirectory(dir.resolve("theirs"));
    Files.setAttribute(theirs, "unix:uid", 65534);
    Path run = Files.createDirectory(dir.resolve("run"));
    Files.setAttribute(run, "unix:mode", 0755);
    Path socket = run.resolve("control.sock");
    String listener =
        String.join(
            "\n",
            "import json, socket, sys",
            "server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
            "server.bind(sys.argv[1])",
            "server.listen(8)",
            "print('listening', flush=True)",
            "while True:",
            "    connection, _ = server.accept()",
            "    lines = []",
            "    with connection, connection.makefile('rb') as received:",
            "        for line in received:",
            "            lines.append(line.decode().rstrip('\\n'))",
            "            if lines == ['end']:",
            "                break",
            // Answered as paird would, so that a pairctl that talks goes on to send the key.
            "            connection.sendall(b'{\"v\":1,\"ok\":true,\"result\":{}}\\n'",
            "                if b'\"status\"' in line else",
            "                b'{\"v\":1,\"ok\":false,\"error\":{\"code\":\"key_rejected\",'",
            "                b'\"message\":\"no\"}}\\n')",
            "    print(json.dumps(lines), flush=True)",
            "    if lines == ['end']:",
            "        break");
    Process server =
        new ProcessBuilder(
                setpriv.toString(),
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                python.toString(),
                "-c",
                listener,
                theirs.resolve("s").toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      BufferedReader printed =
          new BufferedReader(
              new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      assertThat(printed.readLine()).isEqualTo("listening");
      Files.move(theirs.resolve("s"), socket);

      assertRefused(
          pair(socket),
          "pairctl: will not use "
              + socket
              + ": the process listening on it runs as nobody, neither root nor the owner of "
              + run.toRealPath()
              + " (uid 0)");
      try (SocketChannel last = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        last.connect(UnixDomainSocketAddress.of(socket));
        last.write(ByteBuffer.wrap("end\n".getBytes(StandardCharsets.UTF_8)));
      }
      assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("the listener ended").isTrue();
      List<String> connections = new ArrayList<>();
      for (String line = printed.readLine(); line != null; line = printed.readLine()) {
        connections.add(line);
      }
      assertThat(connections).as("what each connection sent").containsExactly("[]", "[\"end\"]");
    } finally {
      server.destroyForcibly();
    }
  }
}
