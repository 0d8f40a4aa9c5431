package dev.paird.ctl;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in for paird on a real Unix socket: it accepts a connection, reads request lines and
 * answers each with the next canned {@link Reply}, and takes another connection once that one ends
 * while replies are left. What it was sent is kept for the test.
 */
final class FakeDaemon implements AutoCloseable {
  private final ServerSocketChannel server;
  private final Deque<Reply> replies;
  private final Optional<Reply> greeting;
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile SocketChannel connection;

  /** What the fake does with one request line. */
  sealed interface Reply {
    /** Answers with {@code text} and a newline. */
    record Line(String text) implements Reply {}

    /** Sends {@code bytes} as they are, then closes the connection. */
    record Raw(byte[] bytes) implements Reply {}

    /** Closes the connection without answering. */
    record Hangup() implements Reply {}

    /** Never answers. */
    record Silence() implements Reply {}
  }

  static Reply line(String text) {
    return new Reply.Line(text);
  }

  static Reply ok(String result) {
    return line("{\"v\":1,\"ok\":true,\"result\":" + result + "}");
  }

  static Reply error(String code, String message) {
    return line(
        "{\"v\":1,\"ok\":false,\"error\":{\"code\":\""
            + code
            + "\",\"message\":\""
            + message
            + "\"}}");
  }

  private FakeDaemon(ServerSocketChannel server, Optional<Reply> greeting, List<Reply> replies) {
    this.server = server;
    this.greeting = greeting;
    this.replies = new ArrayDeque<>(replies);
    this.thread = new Thread(this::serve, "fake-paird");
    thread.setDaemon(true);
  }

  /** Listens on {@code socket} and answers the requests of one connection with {@code replies}. */
  static FakeDaemon start(Path socket, Reply... replies) throws IOException {
    return start(socket, Optional.empty(), List.of(replies));
  }

  private static FakeDaemon start(Path socket, Optional<Reply> greeting, List<Reply> replies)
      throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    FakeDaemon fake = new FakeDaemon(server, greeting, replies);
    fake.thread.start();
    return fake;
  }

  /**
   * Listens on {@code socket} and, before reading anything, sends {@code bytes} and closes, as
   * paird does with a connection over its limit.
   */
  static FakeDaemon refusing(Path socket, String line) throws IOException {
    return start(
        socket,
        Optional.of(new Reply.Raw((line + "\n").getBytes(StandardCharsets.UTF_8))),
        List.of());
  }

  /** The request lines received so far, without newlines. */
  List<String> requests() {
    return requests;
  }

  /**
   * Serves connections one after the other, each until it ends, while replies are left: a client
   * that asks on a connection of its own first ({@code pair} on a terminal checks that paird
   * answers before the key is typed) gets the next replies on its next connection.
   */
  private void serve() {
    while (serveOne() && !replies.isEmpty()) {
      // The next connection takes the replies that are left.
    }
  }

  /** Serves one connection; false if the fake should stop. */
  private boolean serveOne() {
    try (SocketChannel channel = server.accept()) {
      connection = channel;
      if (greeting.isPresent()) {
        perform(channel, greeting.get());
        return false;
      }
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      ByteBuffer buffer = ByteBuffer.allocate(8192);
      while (channel.read(buffer.clear()) > 0) {
        for (int i = 0; i < buffer.position(); i++) {
          byte b = buffer.get(i);
          if (b != '\n') {
            line.write(b);
            continue;
          }
          requests.add(line.toString(StandardCharsets.UTF_8));
          line.reset();
          Reply reply = replies.poll();
          if (reply == null || !perform(channel, reply)) {
            return false;
          }
        }
      }
      return true;
    } catch (IOException e) {
      // The client went away or the test closed the fake: nothing more to do.
      return false;
    }
  }

  /** False once the connection should end. */
  private static boolean perform(SocketChannel channel, Reply reply) throws IOException {
    if (reply instanceof Reply.Line line) {
      channel.write(ByteBuffer.wrap((line.text() + "\n").getBytes(StandardCharsets.UTF_8)));
      return true;
    }
    if (reply instanceof Reply.Raw raw) {
      ByteBuffer bytes = ByteBuffer.wrap(raw.bytes());
      while (bytes.hasRemaining()) {
        channel.write(bytes);
      }
      return false;
    }
    if (reply instanceof Reply.Silence) {
      return true;
    }
    return false;
  }

  @Override
  public void close() throws Exception {
    server.close();
    SocketChannel open = connection;
    if (open != null) {
      open.close();
    }
    thread.join(10_000);
  }
}
