package dev.paird.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paird.api.ControlProtocol.Command;
import dev.paird.daemon.Pairctl.Result;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/CONTROL.md, {@code pair}: a pairing whose requester goes away before its answer is
 * abandoned. Device B pairs with device A through a TCP relay in the test that passes the TLS
 * records on unchanged (TLS runs from B to A) but holds back the first one A sends once it trusts
 * B: A's proof (HMAC_RESPONSE or SPAKE2_SERVER_CONFIRM, PROTOCOL.md §3, §4), which A sends only
 * after saving B. The test then closes the control connection that asked for the pair, as pairctl
 * timing out or interrupted does, and only then releases the proof. B must close its connection to
 * A at once, audit the pair as abandoned, trust nobody (its trusted-list files unchanged) and pair
 * afterwards as before. A trusts B: the one-sided outcome of PROTOCOL.md §7.
 */
final class AbandonedPairIT {
  private static final Duration BOUND = Duration.ofSeconds(20);

  @TempDir static Path dir;
  private static LiveDaemon a;
  private static LiveDaemon b;

  @BeforeAll
  static void start() throws Exception {
    a = LiveDaemon.start(dir, "a");
    b = LiveDaemon.start(dir, "b");
  }

  @AfterAll
  static void stop() throws Exception {
    LiveDaemon.closeAll(a, b);
  }

  @ParameterizedTest
  @ValueSource(strings = {"hmac", "spake2"})
  void requesterGoneBeforeTheServersProof_bClosesAtOnce_trustsNobody_andStillPairs(String suite)
      throws Exception {
    String key = a.newKey("--suite", suite).path("key").textValue();
    b.keys.add(key);
    String bFingerprint = b.ctl.look(Command.STATUS).path("fingerprint").textValue();
    Map<String, String> bFilesBefore = b.ctl.trustFiles();

    try (HoldingRelay relay = HoldingRelay.start()) {
      try (SocketChannel control = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        control.connect(UnixDomainSocketAddress.of(b.socket));
        write(
            control,
            "{\"v\":1,\"command\":\"pair\",\"id\":1,\"args\":{\"host\":\"127.0.0.1:"
                + relay.port()
                + "\",\"key\":\""
                + key
                + "\"}}\n");
        relay.holding.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        assertThat(a.trusted()).as("A saved B before its proof").containsExactly(bFingerprint);
      } // the requester goes away, the proof still held

      String host = "host=127.0.0.1:" + relay.port() + " ";
      b.process.awaitLogLine(
          line ->
              line.contains("command=pair")
                  && line.contains(host)
                  && line.endsWith("result=abandoned"),
          "B auditing the abandoned pair",
          BOUND);
      relay.bClosed.get(BOUND.toSeconds(), TimeUnit.SECONDS);

      relay.released.complete(null);
      relay.passedBack.get(BOUND.toSeconds(), TimeUnit.SECONDS);
    }

    assertThat(b.trusted()).as("B trusts nobody").isEmpty();
    assertThat(b.ctl.trustFiles()).as("B's trusted-list files").isEqualTo(bFilesBefore);
    assertThat(b.process.log()).doesNotContain("Exception");

    // B is as before: A, forgetting B, issues a new key, and B pairs with it directly.
    assertThat(a.ctl.run("remove", bFingerprint).status()).isZero();
    String again = a.newKey("--suite", suite).path("key").textValue();
    Result direct = b.pair(a.address, again);
    assertThat(direct.status()).as(direct.err()).isZero();
    assertThat(a.trusted()).containsExactly(bFingerprint);
    assertThat(b.trusted()).hasSize(1);
    a.ctl.forgetAll();
    b.ctl.forgetAll();
  }

  private static void write(SocketChannel channel, String text) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  /**
   * Accepts one connection (B's) and connects it to A, passing B's bytes on as they come and A's
   * TLS record by record, until A trusts someone: from then on A's records wait for {@link
   * #released}.
   */
  private static final class HoldingRelay implements AutoCloseable {
    /** Completed as the first record of A's is held. */
    final CompletableFuture<Void> holding = new CompletableFuture<>();

    /** Completed by the test: A's records may go on to B. */
    final CompletableFuture<Void> released = new CompletableFuture<>();

    /** Completed once B's side of the connection has ended (closed or reset). */
    final CompletableFuture<Void> bClosed = new CompletableFuture<>();

    /** Completed once A's side has ended, or passing A's records on to B failed. */
    final CompletableFuture<Void> passedBack = new CompletableFuture<>();

    private final ServerSocket listener;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private HoldingRelay(ServerSocket listener) {
      this.listener = listener;
    }

    static HoldingRelay start() throws IOException {
      HoldingRelay relay =
          new HoldingRelay(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
      Thread accepting = new Thread(relay::serve, "relay-accept");
      accepting.setDaemon(true);
      accepting.start();
      return relay;
    }

    int port() {
      return listener.getLocalPort();
    }

    private void serve() {
      try {
        listener.setSoTimeout((int) BOUND.toMillis());
        Socket fromB = listener.accept();
        sockets.add(fromB);
        Socket toA = new Socket();
        sockets.add(toA);
        toA.connect(a.pairingPort, (int) BOUND.toMillis());
        Thread back = new Thread(() -> passBack(toA, fromB), "relay-a-to-b");
        back.setDaemon(true);
        back.start();
        try {
          fromB.getInputStream().transferTo(toA.getOutputStream());
        } catch (IOException reset) {
          // a reset ends B's side as a close does
        }
        bClosed.complete(null);
      } catch (IOException e) {
        bClosed.completeExceptionally(e);
        holding.completeExceptionally(e);
      }
    }

    /** A's records on to B, each once A is seen not to trust anyone yet, or once released. */
    private void passBack(Socket toA, Socket fromB) {
      try {
        DataInputStream in = new DataInputStream(toA.getInputStream());
        OutputStream out = fromB.getOutputStream();
        for (byte[] record = record(in); record != null; record = record(in)) {
          if (!holding.isDone() && !a.trusted().isEmpty()) {
            holding.complete(null);
          }
          if (holding.isDone()) {
            released.get(BOUND.toSeconds(), TimeUnit.SECONDS);
          }
          out.write(record);
          out.flush();
        }
        passedBack.complete(null);
      } catch (IOException e) {
        passedBack.complete(null); // B had closed: nothing reached it
      } catch (Exception e) {
        holding.completeExceptionally(e);
        passedBack.completeExceptionally(e);
      }
    }

    /** One TLS record, header and body, or null at the end of the stream. */
    private static byte[] record(DataInputStream in) throws IOException {
      byte[] header = new byte[5];
      try {
        in.readFully(header);
      } catch (EOFException end) {
        return null;
      }
      int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
      byte[] record = new byte[5 + length];
      System.arraycopy(header, 0, record, 0, 5);
      in.readFully(record, 5, length);
      return record;
    }

    @Override
    public void close() throws IOException {
      released.complete(null);
      listener.close();
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }
}
