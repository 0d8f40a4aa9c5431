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

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
