package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.Spake2Code;
import dev.paird.daemon.Pairctl.Result;
import dev.paird.testing.ClosedPort;
import dev.paird.testing.OpenSslCli;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * paird and pairctl end to end: real processes started by the launch scripts in packaging/bin (so
 * the scripts are tested too), a real control socket, nothing faked. The tests of commands share
 * one paird, which each finds with no pending key and no trusted peer; the tests of starting and
 * stopping start their own, on a temporary state directory and socket. paird listens on port 0 and
 * the tests read the port it bound from status. Every paird is checked, once stopped, for a line
 * that contains a key it issued.
 *
 * <p>Needs the jars of "mvn package" in ctl/target/lib and daemon/target/lib; failsafe runs it in
 * the verify phase, after package.
 */
final class PairdIT {
  private static final Pattern SPAKE2_KEY = Pattern.compile("\\b\\d{2}-\\d{4}-\\d{4}-\\d\\b");
  private static final ObjectMapper JSON = Pairctl.JSON;

  /** Where paird reads the host name that new-key tells the other device to connect to. */
  private static final Path HOST_NAME = Path.of("/proc/sys/kernel/hostname");

  /** The directory of the paird that the tests of commands share. */
  @TempDir static Path shared;

  private static PairdProcess paird;
  private static Path socket;
  private static Path state;
  private static Pairctl ctl;

  /** Every key any paird here issued, for the log checks. */
  private static final List<String> issuedKeys = new ArrayList<>();

  /** A directory for a test's own paird. */
  @TempDir Path tmp;

  private final List<PairdProcess> started = new ArrayList<>();

  @BeforeAll
  static void startTheSharedPaird() throws Exception {
    // Searchable by all, so that another user reaches the socket and is refused by its mode.
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    PairdProcess.Options options = PairdProcess.in(shared);
    socket = options.socket();
    state = shared.resolve("state");
    ctl = options.pairctl();
    paird = options.start();
  }

  @BeforeEach
  void aFreshlyStartedSharedPaird() throws Exception {
    ctl.forgetAll();
  }

  @AfterAll
  static void stopTheSharedPaird() throws Exception {
    paird.close();
    paird.assertLogOmits(issuedKeys);
  }

  @AfterEach
  void stopAndCheckTheLogsForKeys() throws Exception {
    for (PairdProcess own : started) {
      own.close();
    }
    for (PairdProcess own : started) {
      own.assertLogOmits(issuedKeys);
    }
  }

  @Test
  void newKey_printsTheKeyAndTheCommandToTypeOnTheOtherDevice() throws Exception {
    int port = boundPort();

    Result newKey = ctl.run("new-key");

    assertThat(newKey.status()).as(newKey.err()).isZero();
    String key = issued(newKey.out());
    String host = Files.readString(HOST_NAME).strip();
    assertThat(newKey.out())
        .contains(
            "    " + key + "\n",
            "    pairctl pair " + host + ":" + port + "\n",
            "It expires at ",
            "in 5 minutes");

    Result keys = ctl.run("list-keys");
    assertThat(keys.status()).isZero();
    assertThat(keys.out())
        .startsWith("ID  SUITE   EXPIRES")
        .contains(key.substring(0, 2) + "  spake2")
        .doesNotContain(key.substring(3));
    assertThat(ctl.run("status").out()).contains("  pending keys   1\n");
  }

  @Test
  void newKeyJson_printsOneObject_andCancelKeyWithdrawsTheKey() throws Exception {
    int port = boundPort();
    Instant before = Instant.now();

    Result newKey = ctl.run("--json", "new-key", "--suite", "hmac", "--ttl", "90s");

    assertThat(newKey.status()).as(newKey.err()).isZero();
    assertThat(newKey.out().lines()).hasSize(1);
    JsonNode issued = JSON.readTree(newKey.out());
    issuedKeys.add(issued.path("key").textValue());
    assertThat(issued.path("key").textValue()).matches("[0-9A-Z]{4}(-[0-9A-Z]{4}){5}-[0-9A-Z]{3}");
    assertThat(issued.path("suite").textValue()).isEqualTo("hmac");
    assertThat(issued.path("port").intValue()).isEqualTo(port);
    assertThat(Instant.parse(issued.path("expires_at").textValue()))
        .isBetween(before.plusSeconds(89), Instant.now().plusSeconds(91));
    String id = issued.path("id").textValue();
    assertThat(ctl.look(Command.STATUS).path("pending_keys").intValue()).isEqualTo(1);

    Result cancel = ctl.run("cancel-key", id);

    assertThat(cancel.status()).as(cancel.err()).isZero();
    assertThat(cancel.out()).isEqualTo("Cancelled key " + id + "; no device can use it now.\n");
    assertThat(ctl.look(Command.LIST_KEYS).path("keys").size()).isZero();
    assertThat(ctl.look(Command.STATUS).path("pending_keys").intValue()).isZero();
    Result again = ctl.run("cancel-key", id);
    assertThat(again.status()).isEqualTo(7);
    assertThat(again.err()).startsWith("pairctl: no pending key has id '" + id + "'");
  }

  @Test
  void newKeyWait_endsWhenTheKeyIsCancelled_andExitsRejected() throws Exception {
    try (Pairctl.Running waiting = ctl.start("--json", "new-key", "--wait")) {
      // The key is printed, and flushed, before pairctl starts waiting: read it while it waits.
      JsonNode issued = waiting.readJson();
      issuedKeys.add(issued.path("key").textValue());
      String id = issued.path("id").textValue();
      assertThat(waiting.isAlive()).isTrue();
      assertThat(ctl.run("cancel-key", id).status()).isZero();

      JsonNode outcome = waiting.readJson();
      assertThat(outcome.path("outcome").textValue()).isEqualTo("cancelled");
      assertThat(outcome.path("id").textValue()).isEqualTo(id);
      Result ended = waiting.finish();
      assertThat(ended.status()).isEqualTo(5);
      assertThat(ended.err()).startsWith("pairctl: key " + id + " was cancelled");
    }
  }

  @Test
  void status_showsTheFingerprintOpensslComputesForTheGeneratedCertificate() throws Exception {
    String expected = OpenSslCli.fingerprint(state.resolve("identity/cert.pem"));
    JsonNode status = ctl.json("status");
    Result text = ctl.run("status");

    assertThat(status.path("fingerprint").textValue()).isEqualTo(expected);
    assertThat(status.path("state_dir").textValue()).isEqualTo(state.toString());
    assertThat(status.path("trusted_peers").intValue()).isZero();
    assertThat(text.out())
        .contains(
            "  fingerprint    " + expected + "\n",
            "  pending keys   0\n",
            "  trusted peers  0\n",
            "  state dir      " + state + "\n");
  }

  @Test
  void trustCommands_onAnEmptyList() throws Exception {
    Result list = ctl.run("list-trusted");
    Result remove = ctl.run("remove", "abcdef");
    Result notHex = ctl.run("remove", "xyz");

    assertThat(list.status()).isZero();
    assertThat(list.out()).startsWith("No trusted peers yet.");
    assertThat(ctl.json("list-trusted").path("peers").isEmpty()).isTrue();
    assertThat(remove.status()).isEqualTo(7);
    assertThat(remove.err())
        .isEqualTo(
            "pairctl: no trusted peer has a fingerprint starting with"
                + " that prefix\nhint: 'pairctl list-trusted' lists the trusted devices\n");
    assertThat(notHex.status()).isEqualTo(2);
  }

  @Test
  void pair_mistypedKey_isRefusedWithoutADaemon() throws Exception {
    Path nowhere = tmp.resolve("control.sock");

    Result pair = new Pairctl(nowhere, tmp).run("pair", "127.0.0.1", "12-3456-7890-0");

    assertThat(pair.status()).isEqualTo(2);
    assertThat(pair.err())
        .startsWith("pairctl: spake2 code: the check digit (the last one) does" + " not match");
    assertThat(nowhere).doesNotExist();
  }

  @Test
  void pair_wellFormedKey_isAnsweredByPaird() throws Exception {
    String key = Spake2Code.create(17, "24681357".getBytes(StandardCharsets.US_ASCII)).format();

    Result pair;
    try (ClosedPort nobody = ClosedPort.open()) {
      pair = ctl.run("pair", nobody.address(), key, "--label", "nobody");
    }

    assertPairAnswer(pair);
  }

  /** Nobody listens on the port: paird checked the key, tried, and says where it tried. */
  private static void assertPairAnswer(Result pair) {
    assertThat(pair.status()).isEqualTo(6);
    assertThat(pair.err())
        .startsWith("pairctl: cannot connect to 127.0.0.1:")
        .contains("is paird running there and the port open?")
        .as("no trace of Netty's native call or its errno")
        .doesNotContain("(..)", "error(");
  }

  @Test
  void newKey_lifetimeOverAnHour_isRefusedBeforePairdIsAsked() throws Exception {
    Result newKey = ctl.run("new-key", "--ttl", "61m");

    assertThat(newKey.status()).isEqualTo(2);
    assertThat(newKey.err()).startsWith("pairctl: --ttl must be from 30s to 1h, not 61m\n");
    assertThat(ctl.look(Command.STATUS).path("pending_keys").intValue()).isZero();
  }

  @Test
  void rawClient_garbageAndOversizedLines_areAnswered_andPairdKeepsServing() throws Exception {
    JsonNode garbage = JSON.readTree(exchange("garbage\n"));
    JsonNode oversized = JSON.readTree(exchange("x".repeat(20_000) + "\n"));
    JsonNode unknown = JSON.readTree(exchange("{\"v\":1,\"command\":\"format-disk\"}\n"));

    assertThat(garbage.path("error").path("code").textValue()).isEqualTo("bad_request");
    assertThat(oversized.path("error").path("code").textValue()).isEqualTo("request_too_large");
    assertThat(unknown.path("error").path("code").textValue()).isEqualTo("unknown_command");
    assertThat(ctl.run("status").status()).isZero();
    assertThat(paird.process.isAlive()).isTrue();
  }

  @Test
  void rawClient_oneConnection_servesRequestsAfterAnError_andLongRequests() throws Exception {
    // A valid request longer than one socket read (the id is echoed, so it may be long).
    String longRequest = "{\"v\":1,\"command\":\"status\",\"id\":\"" + "i".repeat(6000) + "\"}\n";

    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
      List<String> answers = new ArrayList<>();
      for (String request :
          List.of(
              "garbage\n",
              "{\"v\":1,\"command\":\"list-keys\"}\n",
              longRequest,
              "{\"v\":1,\"command\":\"status\"}\n")) {
        ByteBuffer bytes = ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        answers.add(Pairctl.readLine(in));
      }

      assertThat(JSON.readTree(answers.get(0)).path("error").path("code").textValue())
          .isEqualTo("bad_request");
      assertThat(JSON.readTree(answers.get(1)).path("ok").booleanValue()).isTrue();
      assertThat(JSON.readTree(answers.get(2)).path("id").textValue()).hasSize(6000);
      assertThat(JSON.readTree(answers.get(3)).path("ok").booleanValue()).isTrue();
    }
  }

  @Test
  void sigterm_stopsPaird_removesItsSocket_andTheStateCanBeUsedAgain() throws Exception {
    PairdProcess.Options own = PairdProcess.in(tmp);
    Pairctl ownCtl = own.pairctl();
    PairdProcess first = start(own);
    String fingerprint = ownCtl.look(Command.STATUS).path("fingerprint").textValue();
    issued(ownCtl.run("new-key").out());

    int status = first.stop();

    // 143 = 128 + SIGTERM is the JVM's own status after the signal; 0 would mean paird caught
    // it and exited by itself. Either is a clean stop; a hang or a crash is neither.
    assertThat(status).as(first.log()).isIn(0, 143);
    assertThat(own.socket()).doesNotExist();
    start(own);
    JsonNode again = ownCtl.look(Command.STATUS);
    assertThat(again.path("fingerprint").textValue()).isEqualTo(fingerprint);
    assertThat(again.path("pending_keys").intValue()).isZero();
  }

  /**
   * systemd may stop paird as soon as it hears READY=1. A SIGTERM at once, before any request, must
   * still find paird's shutdown hook: paird logs its stop and removes its socket.
   */
  @Test
  void sigterm_atOnceAfterReady_stillStopsCleanly() throws Exception {
    PairdProcess.Options own = PairdProcess.in(tmp);
    PairdProcess first = start(own);

    assertThat(first.stop()).as(first.log()).isIn(0, 143);

    assertThat(first.log()).contains("Daemon: paird stopped");
    assertThat(own.socket()).doesNotExist();
  }

  /**
   * SECURITY.md, "The control socket": on its way out paird removes its own socket only. Here its
   * socket was moved aside and another listener, given to uid 65534, bound at its path; paird's
   * stop leaves that one, the same file, still listening.
   */
  @Test
  void sigterm_leavesASocketPutInPlaceOfItsOwn() throws Exception {
    assumeTrue(
        Files.getAttribute(Path.of("/proc/self"), "unix:uid").equals(0),
        "needs root to give the socket to another user");
    PairdProcess.Options own = PairdProcess.in(tmp);
    PairdProcess first = start(own);
    Files.move(own.socket(), tmp.resolve("aside.sock"));
    try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      other.bind(UnixDomainSocketAddress.of(own.socket()));
      Files.setAttribute(own.socket(), "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
      Object theirs = fileKey(own.socket());

      assertThat(first.stop()).as(first.log()).isIn(0, 143);

      // paird looked, and decided: this SIGTERM came right after READY=1, before any request.
      assertThat(first.log())
          .contains(
              "left " + own.socket() + " in place: it is no longer the socket this paird bound");
      assertThat(fileKey(own.socket())).as("the socket at the path").isEqualTo(theirs);
      try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        assertThat(client.connect(UnixDomainSocketAddress.of(own.socket()))).isTrue();
      }
    }
  }

  private static Object fileKey(Path file) throws IOException {
    return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .fileKey();
  }

  @Test
  void staleSocketOfACrashedDaemon_isReplacedOnStart() throws Exception {
    PairdProcess.Options own = PairdProcess.in(tmp);
    Pairctl ownCtl = own.pairctl();
    try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      crashed.bind(UnixDomainSocketAddress.of(own.socket()));
    }
    Result before = ownCtl.run("status");
    assertThat(before.status()).isEqualTo(3);
    assertThat(before.err()).startsWith("pairctl: nothing is listening on " + own.socket());

    start(own);

    assertThat(ownCtl.run("status").status()).isZero();
  }

  @Test
  void secondPairdOnTheSameSocket_isRefused() throws Exception {
    PairdProcess second = launch(PairdProcess.in(tmp).socket(socket));

    assertThat(second.awaitExit()).isEqualTo(78);
    assertThat(second.log())
        .contains(
            "cannot start: another paird is already serving "
                + socket
                + "; stop it first (systemctl stop paird) or give this one another --socket");
    assertThat(ctl.run("status").status()).isZero();
    // Refused before it did anything: no state directory, so no identity made for nothing.
    assertThat(tmp.resolve("state")).doesNotExist();
  }

  /**
   * SYSTEMD.md: a failure to bind is retried. A port another program holds, or an address the host
   * does not have (yet, as at boot), ends paird with status 1, which Restart=on-failure retries,
   * not 78, which stops it for good; the log says what to check.
   */
  @Test
  void pairingPortInUse_orAddressNotOnThisHost_exitsOne_forSystemdToRetry() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + taken.getLocalPort();
      PairdProcess inUse =
          launch(
              PairdProcess.in(Files.createDirectory(tmp.resolve("in-use")))
                  .defaultListen()
                  .settings("listen = " + address));

      assertThat(inUse.awaitExit()).as(inUse.log()).isEqualTo(1);
      assertThat(inUse.log())
          .contains("cannot listen on " + address + ": ")
          .contains("(is another program using it?)")
          .doesNotContain("bind(..)")
          .doesNotContain("error(-");
    }
    PairdProcess elsewhere =
        launch(
            PairdProcess.in(Files.createDirectory(tmp.resolve("elsewhere")))
                .defaultListen()
                .settings("listen = 192.0.2.1:7247")); // TEST-NET-1: on no host

    assertThat(elsewhere.awaitExit()).as(elsewhere.log()).isEqualTo(1);
    assertThat(elsewhere.log())
        .contains("cannot listen on 192.0.2.1:7247: ")
        .doesNotContain("bind(..)")
        .doesNotContain("error(-");
  }

  @Test
  void secondPairdOnTheSameStateDirectory_isRefused() throws Exception {
    PairdProcess second = launch(PairdProcess.in(tmp).stateDir(state));

    assertThat(second.awaitExit()).isEqualTo(78);
    assertThat(second.log()).contains("another paird is using the state directory " + state);
    assertThat(ctl.run("status").status()).isZero();
  }

  @Test
  void pairctlAsAnotherUser_isToldWhyItMayNotUseTheSocket() throws Exception {
    assumeTrue(
        Pairctl.canRunAsNobody(shared), "needs root and setpriv to run pairctl as another user");

    Result asNobody = Pairctl.run(shared, Pairctl.asNobody(shared, socket, "status"));

    // The socket is rw-rw---- for paird's user and group, here root's.
    assertThat(asNobody.status()).as(asNobody.err()).isEqualTo(4);
    assertThat(asNobody.err())
        .startsWith("pairctl: you may not use " + socket + "; its group is" + " 'root'");
  }

  /** The spake2 key in new-key's text, remembered for the log check. */
  private String issued(String newKeyText) {
    Matcher key = SPAKE2_KEY.matcher(newKeyText);
    assertThat(key.find()).as("a key in:\n%s", newKeyText).isTrue();
    issuedKeys.add(key.group());
    return key.group();
  }

  /** Sends raw text on a fresh control connection and returns the first answer line. */
  private String exchange(String request) throws Exception {
    return Pairctl.exchange(socket, request);
  }

  /** The pairing port the shared paird bound, as its status reports it. */
  private static int boundPort() throws Exception {
    String listen = ctl.look(Command.STATUS).path("listen").textValue();
    assertThat(listen).matches("127\\.0\\.0\\.1:[1-9][0-9]*");
    return Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
  }

  /** Starts a test's own paird and waits until it says it is ready. */
  private PairdProcess start(PairdProcess.Options options) throws Exception {
    return launch(options).awaitReady();
  }

  private PairdProcess launch(PairdProcess.Options options) throws IOException {
    PairdProcess own = options.launch();
    started.add(own);
    return own;
  }
}
