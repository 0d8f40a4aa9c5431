package dev.paird.ctl;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paird.api.ControlProtocol;
import dev.paird.api.ControlProtocol.Command;
import dev.paird.api.ControlRequest;
import dev.paird.api.ErrorCode;
import dev.paird.api.PairdException;
import dev.paird.api.SocketFile;
import dev.paird.api.WipingBuffer;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * A connection to paird's control socket: one request line out, one response line back, as often as
 * needed (see {@code docs/CONTROL.md}).
 *
 * <p>Every step has a deadline, connecting included: the channel is non-blocking and waits in a
 * selector, so a hung paird makes pairctl fail, not hang. Responses are read up to {@link
 * ControlProtocol#MAX_RESPONSE_BYTES}. Failures are {@link PairdException}s whose code says what
 * happened: {@code daemon_unreachable} and {@code permission_denied} when connecting, the daemon's
 * own code for its error answers, {@code internal} for anything pairctl cannot read (a malformed,
 * oversized, cut-off or missing answer, or none in time).
 */
final class ControlClient implements AutoCloseable {
  private static final int CHUNK = 16 * 1024;

  private final SocketChannel channel;
  private final Selector selector;
  private final SelectionKey key;

  /** Bytes read after the end of the last response line. */
  private final WipingBuffer unread = new WipingBuffer();

  /**
   * What each read of the socket lands in, direct and this client's own: a read into a heap buffer
   * goes through a temporary direct buffer that the JDK keeps for the thread, and with it the last
   * answer, which may hold a key. Each read's bytes are wiped here once copied out.
   */
  private final ByteBuffer inbound = ByteBuffer.allocateDirect(CHUNK);

  /** The id of the next request; answers echo it, a refusal of the connection does not. */
  private int nextId = 1;

  /** Whether paird refused this connection as busy before reading a request from it. */
  private boolean turnedAway;

  private ControlClient(SocketChannel channel, Selector selector, SelectionKey key) {
    this.channel = channel;
    this.selector = selector;
    this.key = key;
  }

  /** Connects to the paird at {@code socket}, waiting at most {@code timeout}. */
  static ControlClient connect(Path socket, Duration timeout) throws PairdException {
    try {
      return tryConnect(socket, timeout);
    } catch (BacklogFull e) {
      throw e.failure;
    }
  }

  /**
   * A connect that failed although the socket is there and this user may use it: paird's queue of
   * connections not yet accepted is full (EAGAIN, as the connect does not block), which a moment's
   * wait cures.
   */
  private static final class BacklogFull extends Exception {
    private static final long serialVersionUID = 1L;
    private final PairdException failure;

    BacklogFull(PairdException failure) {
      super(failure.getMessage(), failure, false, false);
      this.failure = failure;
    }
  }

  private static ControlClient tryConnect(Path socket, Duration timeout)
      throws PairdException, BacklogFull {
    long deadline = System.nanoTime() + timeout.toNanos();
    // Before anything is sent, whatever the command: see CheckedSocket.
    CheckedSocket checked = CheckedSocket.check(socket);
    SocketChannel channel = null;
    Selector selector = null;
    try {
      channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      channel.configureBlocking(false);
      selector = Selector.open();
      ControlClient client = new ControlClient(channel, selector, channel.register(selector, 0));
      try {
        if (!channel.connect(UnixDomainSocketAddress.of(checked.path()))) {
          client.await(SelectionKey.OP_CONNECT, deadline, timeout);
          channel.finishConnect();
        }
      } catch (IOException e) {
        client.close();
        SocketFile file = SocketFile.probe(checked.path());
        PairdException failure = ConnectFailure.classify(socket, e, file);
        if (ConnectFailure.isTransient(e, file)) {
          throw new BacklogFull(failure);
        }
        throw failure;
      }
      checked.checkServer(channel);
      return client;
    } catch (IOException e) {
      closeQuietly(channel, selector);
      throw new PairdException(
          ErrorCode.INTERNAL, "cannot open a Unix socket: " + e.getMessage(), e);
    } catch (PairdException | RuntimeException e) {
      closeQuietly(channel, selector);
      throw e;
    }
  }

  /** The first request and its answer on a connection that paird did not turn away. */
  record Opened(ControlClient client, JsonNode result) {}

  /**
   * Connects and sends one request, connecting again after a pause from {@code backoff} while paird
   * turns the connection away as {@code busy} before reading the request (too many connections), or
   * cannot take it at all yet (its queue of connections to accept is full): the request was not run
   * then, so sending it again is safe whatever it does. A {@code busy} answer to the request itself
   * is not retried.
   *
   * <p>A request that carries a key is not sent this way, since sending it again needs the key: it
   * follows a first request on a connection paird has taken (see {@link #call(Command, ObjectNode,
   * byte[], Duration)}).
   */
  static Opened open(
      Path socket,
      Duration connectTimeout,
      Command command,
      ObjectNode args,
      Duration timeout,
      Backoff backoff)
      throws PairdException {
    for (int attempt = 1; ; attempt++) {
      ControlClient client;
      try {
        client = tryConnect(socket, connectTimeout);
      } catch (BacklogFull e) {
        if (!backoff.pause(attempt)) {
          throw e.failure;
        }
        continue;
      }
      try {
        return new Opened(client, client.call(command, args, timeout));
      } catch (PairdException e) {
        client.close();
        if (!client.turnedAway || !backoff.pause(attempt)) {
          throw e;
        }
      }
    }
  }

  /**
   * Sends one request and returns the {@code result} object of its answer.
   *
   * @throws PairdException the daemon's error, or {@code internal} if there was no answer pairctl
   *     could read within {@code timeout}
   */
  JsonNode call(Command command, ObjectNode args, Duration timeout) throws PairdException {
    return call(command, args, null, timeout);
  }

  /**
   * As {@link #call(Command, ObjectNode, Duration)}, with the argument {@code key} set to {@code
   * secret} (ASCII letters and digits) unless that is null. The request line holding it is built in
   * an array and sent from a direct buffer of its own, both wiped once sent, and so is {@code
   * secret}: no copy of the key stays in this process while paird pairs with it. (A heap buffer
   * would be copied into a direct buffer that the JDK caches for reuse.) A connection paird may
   * still turn away unread, as busy, would lose the key: send it only on a connection that has been
   * answered.
   */
  JsonNode call(Command command, ObjectNode args, byte[] secret, Duration timeout)
      throws PairdException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int id = nextId++;
    IOException writeFailure = null;
    byte[] request =
        secret == null
            ? Json.request(command.wireName(), args, id)
            : Json.request(command.wireName(), args, id, ControlRequest.Pair.KEY, secret);
    ByteBuffer direct = ByteBuffer.allocateDirect(request.length);
    try {
      direct.put(request).flip();
      write(direct, deadline, timeout);
    } catch (IOException e) {
      // paird may have said why it closed (busy) before closing: read that first.
      writeFailure = e;
    } finally {
      Arrays.fill(request, (byte) 0);
      if (secret != null) {
        Arrays.fill(secret, (byte) 0);
      }
      direct.clear();
      while (direct.hasRemaining()) {
        direct.put((byte) 0);
      }
    }
    Optional<byte[]> line;
    try {
      line = readLine(deadline, timeout);
    } catch (IOException e) {
      throw lost(writeFailure != null ? writeFailure : e);
    }
    if (line.isEmpty()) {
      if (writeFailure != null) {
        throw lost(writeFailure);
      }
      throw new PairdException(
          ErrorCode.INTERNAL,
          "paird closed the connection without"
              + " answering; its log may say why (journalctl -u paird)");
    }
    JsonNode response;
    try {
      response = parse(line.get());
    } finally {
      Arrays.fill(line.get(), (byte) 0);
    }
    turnedAway =
        response.path("error").path("code").asText("").equals(ErrorCode.BUSY.wireName())
            && !response.has("id");
    return decode(response);
  }

  /**
   * The {@code result} of one response line, or the exception its {@code error} stands for. Error
   * codes this pairctl does not know become {@code internal}, with the code in the message.
   */
  static JsonNode decode(byte[] line) throws PairdException {
    return decode(parse(line));
  }

  private static JsonNode parse(byte[] line) throws PairdException {
    try {
      return Json.parse(line);
    } catch (JsonProcessingException e) {
      // Not Jackson's text, which names its own classes and limits: where the line went wrong.
      JsonLocation at = e.getLocation();
      throw unreadable(
          "it is not one JSON value"
              + (at == null || at.getByteOffset() < 0
                  ? ""
                  : " (at byte " + at.getByteOffset() + ")"));
    }
  }

  private static JsonNode decode(JsonNode response) throws PairdException {
    if (!response.isObject()) {
      throw unreadable("it is not a JSON object");
    }
    JsonNode version = response.path("v");
    if (!version.isInt()) {
      throw unreadable("it has no protocol version \"v\"");
    }
    if (version.intValue() != ControlProtocol.VERSION) {
      throw new PairdException(
          ErrorCode.INTERNAL,
          "paird answered in control protocol version "
              + version.intValue()
              + ", and this pairctl speaks version "
              + ControlProtocol.VERSION
              + "; use the pairctl of paird's release");
    }
    JsonNode ok = response.path("ok");
    if (!ok.isBoolean()) {
      throw unreadable("it has no \"ok\"");
    }
    if (ok.booleanValue()) {
      JsonNode result = response.path("result");
      if (!result.isObject()) {
        throw unreadable("it has no \"result\" object");
      }
      return result;
    }
    JsonNode code = response.path("error").path("code");
    JsonNode message = response.path("error").path("message");
    if (!code.isTextual() || !message.isTextual()) {
      throw unreadable("its \"error\" has no code and message");
    }
    Optional<ErrorCode> known = ErrorCode.fromWireName(code.textValue());
    if (known.isEmpty()) {
      throw new PairdException(
          ErrorCode.INTERNAL,
          message.textValue()
              + " (paird's error code '"
              + code.textValue()
              + "' is unknown to this pairctl)");
    }
    throw new PairdException(known.get(), message.textValue());
  }

  private void write(ByteBuffer bytes, long deadline, Duration timeout)
      throws IOException, PairdException {
    while (bytes.hasRemaining()) {
      if (channel.write(bytes) == 0) {
        await(SelectionKey.OP_WRITE, deadline, timeout);
      }
    }
  }

  /** The next line without its newline; empty if the connection ends before it starts. */
  private Optional<byte[]> readLine(long deadline, Duration timeout)
      throws IOException, PairdException {
    WipingBuffer line = new WipingBuffer();
    byte[] chunk = new byte[CHUNK];
    try {
      byte[] carried = unread.takeBytes();
      boolean ended = endLine(line, carried, carried.length);
      Arrays.fill(carried, (byte) 0);
      while (!ended) {
        checkLength(line);
        inbound.clear();
        int n = channel.read(inbound);
        if (n < 0) {
          if (line.size() == 0) {
            return Optional.empty();
          }
          throw unreadable("it was cut off after " + line.size() + " bytes");
        }
        if (n == 0) {
          await(SelectionKey.OP_READ, deadline, timeout);
        } else {
          inbound.flip().get(chunk, 0, n);
          wipe(inbound, n);
          ended = endLine(line, chunk, n);
        }
      }
      checkLength(line);
      return Optional.of(line.takeBytes());
    } finally {
      line.wipe();
      Arrays.fill(chunk, (byte) 0);
    }
  }

  private static void wipe(ByteBuffer buffer, int length) {
    for (int i = 0; i < length; i++) {
      buffer.put(i, (byte) 0);
    }
  }

  private static void checkLength(WipingBuffer line) throws PairdException {
    if (line.size() > ControlProtocol.MAX_RESPONSE_BYTES) {
      throw unreadable("it is longer than " + ControlProtocol.MAX_RESPONSE_BYTES + " bytes");
    }
  }

  /** Appends {@code bytes} up to the first newline; keeps what follows it. True at a newline. */
  private boolean endLine(WipingBuffer line, byte[] bytes, int length) {
    for (int i = 0; i < length; i++) {
      if (bytes[i] == '\n') {
        line.write(bytes, 0, i);
        unread.write(bytes, i + 1, length - i - 1);
        return true;
      }
    }
    line.write(bytes, 0, length);
    return false;
  }

  private void await(int operation, long deadline, Duration timeout)
      throws IOException, PairdException {
    key.interestOps(operation);
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new PairdException(
            ErrorCode.INTERNAL,
            "paird did not answer within "
                + timeout.toSeconds()
                + " s; it may be hung (see 'systemctl status paird' and"
                + " 'journalctl -u paird')");
      }
      if (selector.select(Math.max(1, left / 1_000_000)) > 0) {
        selector.selectedKeys().clear();
        return;
      }
    }
  }

  /** An answer from paird that pairctl cannot use, for {@code problem}: {@code internal}. */
  static PairdException unreadable(String problem) {
    return new PairdException(
        ErrorCode.INTERNAL, "paird sent an answer this pairctl cannot read: " + problem);
  }

  private static PairdException lost(IOException e) {
    return new PairdException(
        ErrorCode.INTERNAL,
        "lost the connection to paird ("
            + e.getMessage()
            + "); its log may say why (journalctl -u paird)",
        e);
  }

  @Override
  public void close() {
    closeQuietly(channel, selector);
  }

  private static void closeQuietly(SocketChannel channel, Selector selector) {
    try {
      if (selector != null) {
        selector.close();
      }
      if (channel != null) {
        channel.close();
      }
    } catch (IOException e) {
      // Closing a Unix socket we only read from loses nothing.
    }
  }
}
