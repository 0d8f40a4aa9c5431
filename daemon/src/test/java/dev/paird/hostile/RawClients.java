package dev.paird.hostile;

import dev.paird.daemon.Pairctl;
import dev.paird.daemon.PairdProcess;
import dev.paird.testing.OpenSslCli.SelfSigned;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * Hostile clients for a paird in a network namespace that the test JVM is not in: a process of its
 * own, started inside the namespace, that opens {@link RawConnection}s from the source addresses
 * the test names and tells what became of them, one command and one answer a line. It runs nothing
 * of paird's, only the JDK's TLS.
 *
 * <p>Commands: {@code open SOURCE} connects from SOURCE to the pairing port on {@code ::1} (an IPv6
 * source) or {@code 127.0.0.1} (an IPv4 one) and answers {@code opened N} (the connection's
 * number), {@code refused} (the server closed it before the TLS handshake finished) or {@code hung}
 * (the handshake did not finish within the bound, nor was it closed); {@code ping N} sends PING on
 * connection N and answers {@code answered HEX ENDING} with everything the server sent.
 */
final class RawClients implements AutoCloseable {
  private static final Duration BOUND = Duration.ofSeconds(10);

  private final Process process;
  private final BufferedReader answers;
  private final Writer commands;

  private RawClients(Process process) {
    this.process = process;
    this.answers =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
  }

  /**
   * Starts the clients in network namespace {@code namespace}, presenting {@code identity}, for the
   * pairing port {@code port} there; returns once they are ready for commands.
   */
  static RawClients start(String namespace, int port, SelfSigned identity, Path log)
      throws Exception {
    Process process =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                namespace,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                PairdProcess.REPO.resolve("daemon/target/test-classes").toString(),
                RawClients.class.getName(),
                Integer.toString(port),
                identity.cert().toString(),
                identity.key().toString())
            .redirectError(log.toFile())
            .start();
    RawClients clients = new RawClients(process);
    String first;
    try {
      first = Pairctl.readLine(clients.answers, Duration.ofSeconds(60));
    } catch (Exception | AssertionError e) {
      first = "(" + e.getMessage() + ")";
    }
    if (!"ready".equals(first)) {
      clients.close();
      throw new AssertionError(
          "the clients said " + first + ", not ready; their stderr:\n" + Files.readString(log));
    }
    return clients;
  }

  /** {@code open SOURCE}: the answer. */
  String open(String source) throws Exception {
    return command("open " + source);
  }

  /** {@code ping N}: the answer. */
  String ping(String opened) throws Exception {
    return command("ping " + opened.substring("opened ".length()));
  }

  private String command(String line) throws Exception {
    commands.write(line + "\n");
    commands.flush();
    // Every command ends within BOUND on the clients' side; the rest is their JVM's start.
    return Pairctl.readLine(answers, BOUND.multipliedBy(2));
  }

  @Override
  public void close() throws IOException {
    process.destroyForcibly();
    answers.close();
  }

  /** The clients' side: PORT CERT KEY, then commands on standard input. */
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    SSLContext tls = JdkTls.context(new SelfSigned(Path.of(args[1]), Path.of(args[2])));
    List<RawConnection> opened = new ArrayList<>();
    PrintWriter out =
        new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    out.println("ready");
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      String[] words = line.split(" ", -1);
      if (words[0].equals("open")) {
        InetAddress source = InetAddress.getByName(words[1]);
        InetAddress server =
            InetAddress.getByName(source instanceof Inet6Address ? "::1" : "127.0.0.1");
        try {
          opened.add(RawConnection.open(tls, source, new InetSocketAddress(server, port), BOUND));
          out.println("opened " + (opened.size() - 1));
        } catch (SocketTimeoutException e) {
          out.println("hung");
        } catch (IOException e) {
          out.println("refused");
        }
      } else if (words[0].equals("ping")) {
        RawConnection connection = opened.get(Integer.parseInt(words[1]));
        connection.send(Wire.frame(Wire.PING, new byte[0]));
        RawConnection.Received received = connection.readToEnd(BOUND);
        out.println("answered " + received.hex() + " " + received.ending());
      } else {
        out.println("unknown command " + line);
      }
    }
    for (RawConnection connection : opened) {
      connection.close();
    }
  }
}
