package dev.paird.hostile;

import dev.paird.daemon.Pairctl;
import dev.paird.daemon.PairdProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A TCP port in a network namespace that the test JVM is not in: a process of its own, started
 * inside the namespace, that listens on an address there, accepts every connection, holds it open
 * without a byte and says so, one line each. It runs nothing of paird's.
 */
final class NetnsListener implements AutoCloseable {
  private final Process process;
  private final int port;
  private final BlockingQueue<String> accepted = new LinkedBlockingQueue<>();

  private NetnsListener(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts a listener on {@code address}, port 0, in network namespace {@code netns}; returns once
   * it listens. Its stderr goes to {@code log}.
   */
  static NetnsListener start(Netns netns, String address, Path log) throws Exception {
    List<String> command = new ArrayList<>(netns.exec());
    command.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx32m",
            "-XX:TieredStopAtLevel=1",
            "-cp",
            PairdProcess.REPO.resolve("daemon/target/test-classes").toString(),
            NetnsListener.class.getName(),
            address));
    Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
    BufferedReader lines =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    String first;
    try {
      first = Pairctl.readLine(lines, Duration.ofSeconds(60));
    } catch (Exception | AssertionError e) {
      first = "(" + e.getMessage() + ")";
    }
    if (!first.startsWith("listening ")) {
      process.destroyForcibly();
      throw new AssertionError(
          "the listener said " + first + ", not listening; its stderr:\n" + Files.readString(log));
    }
    NetnsListener listener =
        new NetnsListener(process, Integer.parseInt(first.substring("listening ".length())));
    Thread reader = new Thread(() -> listener.read(lines), "netns-listener-" + process.pid());
    reader.setDaemon(true);
    reader.start();
    return listener;
  }

  int port() {
    return port;
  }

  /**
   * True once the listener has accepted one more connection, false if none came within {@code
   * bound}; each accepted connection is counted once.
   */
  boolean accepted(Duration bound) throws InterruptedException {
    return accepted.poll(bound.toNanos(), TimeUnit.NANOSECONDS) != null;
  }

  private void read(BufferedReader lines) {
    try {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        accepted.add(line);
      }
    } catch (IOException ended) {
      // the process was stopped
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  /** The listener's side: ADDRESS, then a line {@code accepted N FROM} for the Nth connection. */
  public static void main(String[] args) throws IOException {
    PrintWriter out =
        new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    List<Socket> held = new ArrayList<>();
    try (ServerSocket listener = new ServerSocket()) {
      listener.bind(new InetSocketAddress(InetAddress.getByName(args[0]), 0));
      out.println("listening " + listener.getLocalPort());
      while (true) {
        Socket connection = listener.accept();
        held.add(connection); // open, so the client waits for a handshake that never comes
        out.println("accepted " + held.size() + " " + connection.getRemoteSocketAddress());
      }
    }
  }
}
