package dev.paird.hostile;

import static dev.paird.hostile.HostileServerIT.assertNoExceptionText;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.Spake2Code;
import dev.paird.daemon.Pairctl;
import dev.paird.daemon.Pairctl.Result;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code pair} and {@code ping} to a name, through a real paird whose resolver (the JDK's, which is
 * glibc's) asks a DNS server the test runs: PROTOCOL.md §6, the name lookup. The server never
 * answers some names, answers others at once, and holds others until the test releases them. A
 * lookup the server never answers ends at glibc's bound (its resolv.conf: {@code timeout} times
 * {@code attempts}) with {@code peer_unreachable}; while paird's 4 lookups at once are all waiting,
 * one more named request is answered {@code busy} at once and an IP address, which needs no lookup,
 * is served as usual; a pair whose requester has gone while its name was looked up never connects
 * to the address the lookup gives later; and paird stops without waiting for its lookups.
 *
 * <p>Everything runs in a network namespace (root; skipped otherwise), where port 53 is the test's.
 * The paird under test runs there in a mount namespace of its own, in which its {@code
 * /etc/resolv.conf} names the test's server, its {@code /etc/hosts} knows only localhost and its
 * {@code /etc/nsswitch.conf} asks files, then DNS, for hosts. A second paird there, which it has
 * paired with, answers for the names that resolve.
 */
final class SlowResolverIT {
  /** resolv.conf's {@code timeout}: how long glibc waits for one answer. */
  private static final int TIMEOUT_SECONDS = 2;

  /** resolv.conf's {@code attempts}: how many times glibc asks. */
  private static final int ATTEMPTS = 2;

  /**
   * glibc's bound on a lookup that the server never answers: each attempt waits {@code timeout}.
   * The name the search domain makes of it is answered at once (NXDOMAIN), so it adds nothing.
   */
  private static final Duration LOOKUP_BOUND = Duration.ofSeconds(TIMEOUT_SECONDS * ATTEMPTS);

  /** How much later than its bound a run may end: pairctl's own start on a busy machine. */
  private static final Duration SLACK = Duration.ofSeconds(5);

  /** paird's lookups at once (NameLookups.AT_ONCE); one more is not queued. */
  private static final int RESOLVER_THREADS = 4;

  /** resolv.conf's {@code timeout} for the paird that is stopped during its lookups. */
  private static final int SLOW_TIMEOUT_SECONDS = 30;

  /** How long stopping paird may take: far less than {@link #SLOW_TIMEOUT_SECONDS}. */
  private static final Duration STOP_BOUND = Duration.ofSeconds(15);

  /** How long a test waits for an answer it expects. */
  private static final Duration BOUND = Duration.ofSeconds(30);

  /** How long an abandoned pair is watched for a connection it must not make. */
  private static final Duration WINDOW = Duration.ofSeconds(3);

  /** Where the DNS server listens in the namespace, as resolv.conf names it. */
  private static final String DNS_ADDRESS = "127.0.0.1";

  /** The address the names that resolve have: the namespace's loopback. */
  private static final String LOOPBACK = "127.0.0.1";

  /** A well-formed spake2 code: pairctl checks the check digit before any traffic. */
  private static final String CODE =
      Spake2Code.create(17, "24681357".getBytes(StandardCharsets.US_ASCII)).format();

  @TempDir static Path dir;

  private static Optional<Netns> netns = Optional.empty();
  private static DnsServer dns;

  /** The paird whose resolver asks {@link #dns}. */
  private static LiveDaemon device;

  /** A paird that {@link #device} trusts and is trusted by, for the names that resolve. */
  private static LiveDaemon peer;

  private static String peerFingerprint;

  @BeforeAll
  static void start() throws Exception {
    if (!Files.isExecutable(DnsServer.PYTHON)) {
      return;
    }
    netns = Netns.create("dns");
    if (netns.isEmpty()) {
      return;
    }
    dns = DnsServer.start(netns.get(), DNS_ADDRESS);
    peer = LiveDaemon.start(dir, "peer", options -> options.wrapper(netns.get().exec()));
    peerFingerprint = peer.ctl.look(Command.STATUS).path("fingerprint").textValue();
    List<String> wrapper =
        withTheTestsResolver(netns.get(), dir.resolve("etc"), TIMEOUT_SECONDS, ATTEMPTS);
    device = LiveDaemon.start(dir, "device", options -> options.wrapper(wrapper));
    // Paired by address, which needs no lookup, so that a ping by name can succeed.
    Result paired = device.pair(peer.address, peer.newKey().path("key").textValue());
    assertThat(paired.status()).as(paired.err()).isZero();
    device.keys.add(CODE);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      LiveDaemon.closeAll(device, peer);
    } finally {
      try {
        if (dns != null) {
          dns.close();
        }
      } finally {
        if (netns.isPresent()) {
          netns.get().close();
        }
      }
    }
  }

  @BeforeEach
  void assumeNamespace() {
    assumeTrue(device != null, "needs root to create a network namespace, and /usr/bin/python3");
  }

  // --- a server that never answers ---

  /**
   * PROTOCOL.md §6: the lookup is bounded by the system resolver's own timeouts. A name whose DNS
   * server never answers ends pair and ping with {@code peer_unreachable} (exit status 6) once
   * glibc has waited {@code timeout} for each of its {@code attempts}, not sooner and not much
   * later, saying the name cannot be resolved, without Java exception text.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"pair", "ping"})
  void nameWhoseServerNeverAnswers_isUnreachable_atGlibcsBound(String command) throws Exception {
    String name = "silent-" + command + ".test";
    dns.silent(name);

    long start = System.nanoTime();
    Result run = pairOrPing(command, name);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(run.status()).as(run.err()).isEqualTo(6);
    assertThat(run.json().path("error").path("code").textValue()).isEqualTo("peer_unreachable");
    assertThat(run.err()).startsWith("pairctl: ").contains("cannot resolve '" + name + "'");
    assertNoExceptionText(run);
    assertThat(dns.queries(name)).as("queries the DNS server saw for %s", name).isPositive();
    assertThat(took)
        .as("pairctl's run, for %s", run.err().strip())
        .isBetween(LOOKUP_BOUND, LOOKUP_BOUND.plus(SLACK));
    assertThat(device.trusted()).containsExactly(peerFingerprint);

    // PROTOCOL.md §6: the JDK keeps the failure for 10 s, so the same request again at once fails
    // the same way without asking the server, long before glibc's bound.
    int queries = dns.queries(name);
    long again = System.nanoTime();
    Result retry = pairOrPing(command, name);
    Duration retryTook = Duration.ofNanos(System.nanoTime() - again);
    assertThat(retry.status()).as(retry.err()).isEqualTo(6);
    assertThat(retry.err()).contains("cannot resolve '" + name + "'");
    assertThat(dns.queries(name)).as("queries for %s after the retry", name).isEqualTo(queries);
    assertThat(retryTook).as("the retry's run").isLessThan(LOOKUP_BOUND);
  }

  /**
   * CONTROL.md, {@code pair} and "Responses": a key typed where the host goes is refused with
   * {@code invalid_argument} (exit 2) before any lookup, so the name servers never receive it; the
   * message says why without repeating it, and paird's log never holds it.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"pair", "ping"})
  void hostWithTheShapeOfAKey_isRefused_andNeverSentToTheNameServers(String command)
      throws Exception {
    String key = Spake2Code.generate(new SecureRandom(), 42, 8).format();
    device.keys.add(key);
    String digits = key.replace("-", "");

    Result run =
        command.equals("pair") ? device.pair(key, CODE) : device.ctl.run("--json", "ping", key);

    assertThat(run.status()).as(run.err()).isEqualTo(2);
    assertThat(run.json().path("error").path("code").textValue()).isEqualTo("invalid_argument");
    assertThat(run.err()).contains("shape of a pairing key").doesNotContain(key);
    assertThat(run.err().replace("-", "")).doesNotContain(digits);
    assertThat(dns.queriedNames())
        .as("names the DNS server was asked for")
        .noneMatch(name -> name.replace("-", "").contains(digits));
  }

  private static Result pairOrPing(String command, String name) throws Exception {
    String host = name + ":" + peer.pairingPort.getPort();
    return command.equals("pair")
        ? device.pair(host, CODE)
        : device.ctl.run("--json", "ping", host);
  }

  // --- the resolver's threads all waiting ---

  /**
   * PROTOCOL.md §6: paird looks names up on at most four threads and queues none. With all four
   * waiting for a server that never answers, a fifth named request is answered {@code busy} with
   * its {@code id} while they still wait, and is not looked up; a ping to an IP address, which
   * needs no lookup, succeeds meanwhile. Once glibc has given up on the four (each answered {@code
   * peer_unreachable}), the name that was refused resolves and pings the other paird.
   */
  @Test
  void resolverThreadsAllWaiting_nameIsBusyAtOnce_addressStillServed_andNamesResolveAfterwards()
      throws Exception {
    String resolving = "pool-peer.test";
    dns.answer(resolving, LOOPBACK);
    String target = resolving + ":" + peer.pairingPort.getPort();
    List<ControlConnection> waiting = new ArrayList<>();
    try {
      for (int i = 1; i <= RESOLVER_THREADS; i++) {
        String name = "pool-silent-" + i + ".test";
        dns.silent(name);
        waiting.add(ControlConnection.send(device.socket, ping(name)));
        dns.awaitQuery(name);
      }

      JsonNode refused = ControlConnection.exchange(device.socket, ping(target));
      assertThat(refused.path("ok").booleanValue()).as("%s", refused).isFalse();
      assertThat(refused.path("id").intValue()).as("%s", refused).isEqualTo(1);
      assertThat(refused.path("error").path("code").textValue()).isEqualTo("busy");
      assertMessageHasNoExceptionText(refused);
      assertThat(dns.queries(resolving)).as("queries for the name refused").isZero();

      JsonNode byAddress = ControlConnection.exchange(device.socket, ping(peer.address));
      assertThat(byAddress.path("ok").booleanValue()).as("%s", byAddress).isTrue();
      assertThat(byAddress.path("result").path("peer").path("fingerprint").textValue())
          .isEqualTo(peerFingerprint);

      assertThat(waiting)
          .as("the four lookups, still waiting once the others were answered")
          .noneMatch(connection -> connection.answer.isDone());
      for (ControlConnection connection : waiting) {
        JsonNode answer = connection.answer(LOOKUP_BOUND.plus(SLACK));
        assertThat(answer.path("error").path("code").textValue())
            .as("%s", answer)
            .isEqualTo("peer_unreachable");
        assertMessageHasNoExceptionText(answer);
      }
    } finally {
      for (ControlConnection connection : waiting) {
        connection.close();
      }
    }

    JsonNode resolved = ControlConnection.exchange(device.socket, ping(target));
    assertThat(resolved.path("ok").booleanValue()).as("%s", resolved).isTrue();
    assertThat(resolved.path("result").path("peer").path("fingerprint").textValue())
        .isEqualTo(peerFingerprint);
    assertThat(dns.queries(resolving)).as("queries for the name once resolved").isPositive();
  }

  // --- a requester gone during the lookup ---

  /**
   * CONTROL.md, {@code pair}: a pair whose requester has gone is abandoned, and that holds while
   * its name is being looked up. The test holds the DNS answer, closes the control connection once
   * the query has arrived and paird has audited the pair as abandoned, then releases the answer
   * while glibc still waits for it: paird never connects to the address it names.
   */
  @Test
  void pair_requesterGoneDuringTheLookup_neverConnectsToTheAddressFoundLater() throws Exception {
    String name = "held-gone.test";
    String host = name + ":" + dns.tcpPort;
    dns.hold(name, LOOPBACK);
    int connectionsBefore = dns.connections();

    long queried;
    try (ControlConnection control = ControlConnection.send(device.socket, pair(host))) {
      dns.awaitQuery(name);
      queried = System.nanoTime();
    }
    device.process.awaitLogLine(
        line ->
            line.contains("command=pair")
                && line.contains("host=" + host + " ")
                && line.endsWith("result=abandoned"),
        "the pair audited as abandoned",
        BOUND);
    assertThat(dns.release(name)).as("queries held for %s", name).isPositive();
    assertThat(Duration.ofNanos(System.nanoTime() - queried))
        .as("time from the query to its answer, while glibc still waited")
        .isLessThan(Duration.ofSeconds(TIMEOUT_SECONDS));

    assertThat(dns.awaitConnections(connectionsBefore + 1, WINDOW))
        .as("a connection from the abandoned pair to the address found later")
        .isFalse();
    assertThat(device.process.log()).doesNotContain("Exception");
  }

  /**
   * The control for the test above: with the requester still there, the same held lookup, released
   * in the same way, connects to the address within the window that test watches, and the pair is
   * answered (the port closes the connection at once, so with an error).
   */
  @Test
  void pair_requesterStillThere_connectsToTheAddressFoundLater() throws Exception {
    String name = "held-kept.test";
    String host = name + ":" + dns.tcpPort;
    dns.hold(name, LOOPBACK);
    int connectionsBefore = dns.connections();

    try (ControlConnection control = ControlConnection.send(device.socket, pair(host))) {
      dns.awaitQuery(name);
      long queried = System.nanoTime();
      assertThat(dns.release(name)).as("queries held for %s", name).isPositive();
      assertThat(Duration.ofNanos(System.nanoTime() - queried))
          .as("time from the query to its answer, while glibc still waited")
          .isLessThan(Duration.ofSeconds(TIMEOUT_SECONDS));

      assertThat(dns.awaitConnections(connectionsBefore + 1, WINDOW))
          .as("a connection from the pair to the address found")
          .isTrue();
      JsonNode answer = control.answer(BOUND);
      assertThat(answer.path("ok").booleanValue()).as("%s", answer).isFalse();
      assertMessageHasNoExceptionText(answer);
    }
    assertThat(device.trusted()).containsExactly(peerFingerprint);
  }

  // --- stopping ---

  /**
   * systemctl stop is not held up by lookups: a paird whose 4 lookups wait for a server that never
   * answers, with glibc allowed {@link #SLOW_TIMEOUT_SECONDS} for it, ends on SIGTERM long before
   * glibc would give up, and its requesters see their connections end.
   */
  @Test
  void stop_whileLookupsWait_endsBeforeGlibcGivesUp() throws Exception {
    List<String> wrapper =
        withTheTestsResolver(netns.get(), dir.resolve("etc-slow"), SLOW_TIMEOUT_SECONDS, 1);
    LiveDaemon stopping = LiveDaemon.start(dir, "stopping", options -> options.wrapper(wrapper));
    List<ControlConnection> waiting = new ArrayList<>();
    try {
      for (int i = 1; i <= RESOLVER_THREADS; i++) {
        String name = "stop-silent-" + i + ".test";
        dns.silent(name);
        waiting.add(ControlConnection.send(stopping.socket, ping(name)));
        dns.awaitQuery(name);
      }

      long start = System.nanoTime();
      int status = stopping.process.stop();
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      // 143 = 128 + SIGTERM, the JVM's status after the signal; 0, paird's own clean exit.
      assertThat(status)
          .as("paird's exit status; its log:%n%s", stopping.process.log())
          .isIn(0, 143);
      assertThat(took).as("how long paird took to stop").isLessThan(STOP_BOUND);
      for (ControlConnection connection : waiting) {
        // Its connection ends, with no answer or a failure: a lookup never held it open.
        JsonNode last =
            connection
                .answer
                .handle((answer, ended) -> answer)
                .get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(last == null || !last.path("ok").booleanValue())
            .as("what the requester of a lookup heard: %s", last)
            .isTrue();
      }
    } finally {
      for (ControlConnection connection : waiting) {
        connection.close();
      }
      stopping.close();
    }
  }

  // --- helpers ---

  /**
   * The command that runs paird in {@code netns}, in a mount namespace of its own in which
   * resolv.conf, hosts and nsswitch.conf are the test's, written in {@code files}: a DNS server at
   * {@link #DNS_ADDRESS} with glibc's {@code timeout} and {@code attempts} as given, and one search
   * domain, explicit so that the host's name does not choose it; hosts knows only localhost;
   * nsswitch.conf is this host's, if it has one, with hosts from files, then DNS.
   */
  private static List<String> withTheTestsResolver(
      Netns netns, Path files, int timeoutSeconds, int attempts) throws IOException {
    Files.createDirectories(files);
    Path resolvConf =
        Files.writeString(
            files.resolve("resolv.conf"),
            "nameserver "
                + DNS_ADDRESS
                + "\nsearch search.test\noptions timeout:"
                + timeoutSeconds
                + " attempts:"
                + attempts
                + "\n");
    Path hosts = Files.writeString(files.resolve("hosts"), "127.0.0.1 localhost\n::1 localhost\n");
    Path installed = Path.of("/etc/nsswitch.conf");
    List<String> lines = Files.exists(installed) ? Files.readAllLines(installed) : List.of();
    String nsswitch =
        lines.stream()
            .filter(line -> !line.startsWith("hosts:"))
            .collect(Collectors.joining("\n", "", "\nhosts: files dns\n"));
    Path nsswitchConf = Files.writeString(files.resolve("nsswitch.conf"), nsswitch);
    List<String> wrapper = new ArrayList<>(netns.exec());
    wrapper.addAll(
        List.of(
            "unshare",
            "--mount",
            "--",
            "/bin/sh",
            "-c",
            "mount --bind \"$1\" /etc/resolv.conf && mount --bind \"$2\" /etc/hosts"
                + " && mount --bind \"$3\" /etc/nsswitch.conf && shift 3 && exec \"$@\"",
            "sh",
            resolvConf.toString(),
            hosts.toString(),
            nsswitchConf.toString()));
    return wrapper;
  }

  private static String ping(String host) {
    ObjectNode request = request("ping");
    request.putObject("args").put("host", host);
    return request + "\n";
  }

  private static String pair(String host) {
    ObjectNode request = request("pair");
    request.putObject("args").put("host", host).put("key", CODE);
    return request + "\n";
  }

  private static ObjectNode request(String command) {
    return Pairctl.JSON.createObjectNode().put("v", 1).put("command", command).put("id", 1);
  }

  /** An answer's error message holds no Java exception text, as pairctl's would not. */
  private static void assertMessageHasNoExceptionText(JsonNode answer) {
    String message = answer.path("error").path("message").textValue();
    for (String text : HostileServerIT.EXCEPTION_TEXT) {
      assertThat(message).as("the error message").doesNotContain(text);
    }
  }

  /**
   * A control connection that sent one request as plain JSON (no pairctl code) and reads its answer
   * as it comes, so that a test can tell whether it has been answered yet.
   */
  private static final class ControlConnection implements AutoCloseable {
    private final SocketChannel channel;
    final CompletableFuture<JsonNode> answer = new CompletableFuture<>();

    private ControlConnection(SocketChannel channel) {
      this.channel = channel;
      Thread reader =
          new Thread(
              () -> {
                try {
                  BufferedReader in =
                      new BufferedReader(
                          new InputStreamReader(
                              Channels.newInputStream(channel), StandardCharsets.UTF_8));
                  String line = in.readLine();
                  if (line == null) {
                    answer.completeExceptionally(new IOException("closed without an answer"));
                  } else {
                    answer.complete(Pairctl.JSON.readTree(line));
                  }
                } catch (IOException e) {
                  answer.completeExceptionally(e);
                }
              },
              "control-answer");
      reader.setDaemon(true);
      reader.start();
    }

    static ControlConnection send(Path socket, String request) throws IOException {
      SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.connect(UnixDomainSocketAddress.of(socket));
        ByteBuffer bytes = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
      } catch (IOException e) {
        channel.close();
        throw e;
      }
      return new ControlConnection(channel);
    }

    /** Sends {@code request} on a new connection and returns its answer. */
    static JsonNode exchange(Path socket, String request) throws Exception {
      try (ControlConnection connection = send(socket, request)) {
        return connection.answer(BOUND);
      }
    }

    JsonNode answer(Duration bound) throws Exception {
      return answer.get(bound.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
