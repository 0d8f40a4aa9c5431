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
final class ControlConnection implements AutoCloseable {
  private final SocketChannel channel;
  private final BufferedReader answers;

  private ControlConnection(SocketChannel channel) {
    this.channel = channel;
    this.answers =
        new BufferedReader(
            new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
  }

  /** Connects to the control socket {@code socket}. */
  static ControlConnection open(Path socket) throws IOException {
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
  void send(String request) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  /** The next answer line, waited for at most {@code bound}. */
  String readLine(Duration bound) throws Exception {
    return Pairctl.readLine(answers, bound);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
