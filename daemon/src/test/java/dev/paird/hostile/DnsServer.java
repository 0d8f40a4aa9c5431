package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.paird.daemon.Pairctl;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code dns/server.py} run in a network namespace: a DNS server on port 53 of an address there
 * whose answer to each name the test sets (never, at once, or when the test says), and a TCP port
 * there that counts the connections it accepts. What it sees arrives as events, which a test waits
 * for with a bound.
 */
final class DnsServer implements AutoCloseable {
  static final Path PYTHON = Path.of("/usr/bin/python3");

  private static final Duration BOUND = Duration.ofSeconds(20);

  private final Process process;
  private final OutputStream commands;
  private final List<JsonNode> events = new ArrayList<>(); // guarded by this
  private boolean ended; // guarded by this
  private int sent; // commands sent; guarded by this

  /** The TCP port that counts connections, on the server's address. */
  final int tcpPort;

  private DnsServer(Process process) throws Exception {
    this.process = process;
    this.commands = process.getOutputStream();
    Thread reader = new Thread(this::read, "dns-server-events");
    reader.setDaemon(true);
    reader.start();
    this.tcpPort =
        await(event -> event.path("event").textValue().equals("ready"), BOUND)
            .path("tcp_port")
            .intValue();
  }

  /** Starts the server on {@code address} in {@code netns} and waits until it is bound. */
  static DnsServer start(Netns netns, String address) throws Exception {
    List<String> command = new ArrayList<>(netns.exec());
    command.addAll(
        List.of(
            PYTHON.toString(),
            Path.of(DnsServer.class.getResource("/dns/server.py").toURI()).toString(),
            address));
    Process process =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      return new DnsServer(process);
    } catch (Exception | AssertionError e) {
      process.destroyForcibly();
      throw e;
    }
  }

  /** Queries for {@code name} are never answered. */
  void silent(String name) throws Exception {
    command("silent " + name);
  }

  /** An A query for {@code name} is answered {@code address} at once. */
  void answer(String name, String address) throws Exception {
    command("answer " + name + " " + address);
  }

  /** Queries for {@code name} wait for {@link #release}, which answers them {@code address}. */
  void hold(String name, String address) throws Exception {
    command("hold " + name + " " + address);
  }

  /** Answers the queries held for {@code name}, and returns how many there were. */
  int release(String name) throws Exception {
    return command("release " + name).path("count").intValue();
  }

  /** Waits, at most {@link #BOUND}, until the server has seen a query for {@code name}. */
  void awaitQuery(String name) throws Exception {
    await(isQuery(name), BOUND);
  }

  /** How many queries for {@code name} the server has seen. */
  synchronized int queries(String name) {
    return (int) events.stream().filter(isQuery(name)).count();
  }

  /** Every name the server has been asked for, in order. */
  synchronized List<String> queriedNames() {
    return events.stream()
        .filter(event -> event.path("event").textValue().equals("query"))
        .map(event -> event.path("name").textValue())
        .toList();
  }

  /** How many connections the TCP port has accepted. */
  synchronized int connections() {
    return (int) events.stream().filter(DnsServer::isConnection).count();
  }

  /**
   * Whether the TCP port accepts connection number {@code count} (counting from the first) within
   * {@code window}.
   */
  synchronized boolean awaitConnections(int count, Duration window) throws InterruptedException {
    long deadline = System.nanoTime() + window.toNanos();
    while (connections() < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0 || ended) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  private static Predicate<JsonNode> isQuery(String name) {
    return event ->
        event.path("event").textValue().equals("query")
            && event.path("name").textValue().equals(name);
  }

  private static boolean isConnection(JsonNode event) {
    return event.path("event").textValue().equals("connection");
  }

  /** The first event that {@code wanted} accepts, waited for at most {@code bound}. */
  private synchronized JsonNode await(Predicate<JsonNode> wanted, Duration bound)
      throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (true) {
      for (JsonNode event : events) {
        if (wanted.test(event)) {
          return event;
        }
      }
      long left = deadline - System.nanoTime();
      assertThat(ended).as("the DNS server ended; its events: %s", events).isFalse();
      assertThat(left).as("an awaited event within %s; the events: %s", bound, events).isPositive();
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /**
   * Sends {@code line} and waits until the server has put it in force, so that a query sent next
   * meets it; returns the server's {@code done} event.
   */
  private synchronized JsonNode command(String line) throws Exception {
    commands.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
    commands.flush();
    int n = ++sent;
    return await(
        event -> event.path("event").textValue().equals("done") && event.path("n").intValue() == n,
        BOUND);
  }

  private void read() {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        JsonNode event = Pairctl.JSON.readTree(line);
        synchronized (this) {
          events.add(event);
          notifyAll();
        }
      }
    } catch (IOException e) {
      // the server was stopped
    } finally {
      synchronized (this) {
        ended = true;
        notifyAll();
      }
    }
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
