package dev.paird.hostile;

import dev.paird.daemon.Pairctl;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A connection to paird's control socket that speaks docs/CONTROL.md's JSON lines itself (no
 * pairctl code) and is closed when the test says: a requester that may go away before its answer.
 */
public final class ControlConnection implements AutoCloseable {
  private final SocketChannel channel;
  private final BufferedReader answers;

  private ControlConnection(SocketChannel channel) {
    this.channel = channel;
    this.answers =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
  }

  /** Connects to the control socket {@code socket}. */
  public static ControlConnection open(Path socket) throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    return new ControlConnection(channel);
  }

  /** Sends {@code request}, one JSON object, and the newline that ends it. */
  public void send(String request) throws IOException {
    sendBytes((request + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Sends {@code bytes} as they are: a part of a line, or several lines. */
  public void sendBytes(byte[] bytes) throws IOException {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** {@link #sendBytes}; false if the connection is closed. */
  public boolean trySend(byte[] bytes) {
    try {
      sendBytes(bytes);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The next answer line, waited for at most {@code bound}. */
  public String readLine(Duration bound) throws Exception {
    return Pairctl.readLine(answers, bound);
  }

  /** The next line, or null once paird has closed the connection; waited for at most bound. */
  public String readLineOrEnd(Duration bound) throws Exception {
    return Pairctl.readLineOrEnd(answers, bound);
  }

  /**
   * The start of the next answer: its first {@code chars} characters, or up to and including its
   * newline if it is shorter; waited for at most {@code bound}. The rest stays unread.
   */
  public String readStart(int chars, Duration bound) throws Exception {
    try {
      return CompletableFuture.supplyAsync(
              () -> {
                StringBuilder start = new StringBuilder();
                try {
                  int c;
                  while (start.length() < chars && (c = answers.read()) >= 0) {
                    start.append((char) c);
                    if (c == '\n') {
                      break;
                    }
                  }
                } catch (IOException e) {
                  // What was read so far is the answer's start.
                }
                return start.toString();
              })
          .get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no answer began within " + bound.toSeconds() + " s");
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
