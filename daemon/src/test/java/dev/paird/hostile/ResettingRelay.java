package dev.paird.hostile;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;

/**
 * A TCP relay on loopback between a client paird and a server paird that resets the client's
 * connection as the client's second flight begins, the way a server whose BoringSSL refuses the
 * client's Certificate message by its length closes with that message unread. It passes the
 * client's ClientHello on and the server's first flight back, unchanged; at the header of the
 * client's first encrypted record (in TLS 1.3 the client encrypts nothing before the server's whole
 * first flight has reached it, so its handshake has ended on its side) it closes the client's
 * socket with a zero linger, which sends a reset, and reads nothing more. Its receive buffer is as
 * small as the kernel allows, so a client with a large flight still has bytes of it waiting to be
 * written when the reset arrives. It accepts one connection.
 */
final class ResettingRelay extends LoopbackRelay {
  /** Completed once the client's connection has been reset. */
  final CompletableFuture<Void> reset = new CompletableFuture<>();

  private ResettingRelay(ServerSocket listener, InetSocketAddress server) {
    super(listener, server);
  }

  /** A relay to {@code server}, listening on a loopback port of its own. */
  static ResettingRelay start(InetSocketAddress server) throws IOException {
    ServerSocket listener = new ServerSocket();
    listener.setReceiveBufferSize(1); // the kernel's least; accepted sockets inherit it
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
    ResettingRelay relay = new ResettingRelay(listener, server);
    relay.begin("resetting-relay");
    return relay;
  }

  @Override
  void relay(Socket fromClient, Socket toServer) throws IOException {
    daemon(() -> passBack(toServer, fromClient), "resetting-relay-back");
    DataInputStream in = new DataInputStream(fromClient.getInputStream());
    OutputStream out = toServer.getOutputStream();
    byte[] header = new byte[5];
    while (true) {
      in.readFully(header);
      if ((header[0] & 0xff) == APPLICATION_DATA) {
        break;
      }
      byte[] body = new byte[((header[3] & 0xff) << 8) | (header[4] & 0xff)];
      in.readFully(body);
      out.write(header);
      out.write(body);
      out.flush();
    }
    fromClient.setSoLinger(true, 0);
    fromClient.close();
    toServer.close();
    reset.complete(null);
  }

  @Override
  void failed(IOException e) {
    reset.completeExceptionally(e);
  }

  /** The server's bytes on to the client until either side ends. */
  private static void passBack(Socket toServer, Socket fromClient) {
    try {
      InputStream in = toServer.getInputStream();
      OutputStream out = fromClient.getOutputStream();
      byte[] buffer = new byte[16 * 1024];
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // the relay reset the client, or the server closed: nothing more to pass on
    }
  }
}
