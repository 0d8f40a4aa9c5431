package dev.paird.hostile;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP relay on loopback between a client paird and a server paird that accepts one connection,
 * connects to the server, and leaves what passes between them to {@link #relay}.
 */
abstract class LoopbackRelay implements AutoCloseable {
  /** How long the relay waits for the client's connection, and for anything it waits on. */
  static final Duration BOUND = Duration.ofSeconds(20);

  /** TLS's content type of application data, which TLS 1.3 also gives its encrypted handshake. */
  static final int APPLICATION_DATA = 23;

  private final ServerSocket listener;
  private final InetSocketAddress server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  /** {@code listener} is bound; {@link #begin} starts accepting on it. */
  LoopbackRelay(ServerSocket listener, InetSocketAddress server) {
    this.listener = listener;
    this.server = server;
  }

  /** Starts waiting for the client's connection on a thread of its own. */
  final void begin(String name) {
    daemon(this::serve, name);
  }

  /** Where the client connects, as pairctl takes it: {@code 127.0.0.1:PORT}. */
  final String address() {
    return "127.0.0.1:" + listener.getLocalPort();
  }

  /** Passes the connection's bytes, in whatever way this relay does, until it ends. */
  abstract void relay(Socket fromClient, Socket toServer) throws IOException;

  /** The client did not connect within {@link #BOUND}, or the server could not be reached. */
  abstract void failed(IOException e);

  static void daemon(Runnable work, String name) {
    Thread thread = new Thread(work, name);
    thread.setDaemon(true);
    thread.start();
  }

  private void serve() {
    try {
      listener.setSoTimeout((int) BOUND.toMillis());
      Socket fromClient = listener.accept();
      sockets.add(fromClient);
      Socket toServer = new Socket();
      sockets.add(toServer);
      toServer.connect(server, (int) BOUND.toMillis());
      relay(fromClient, toServer);
    } catch (IOException e) {
      failed(e);
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }
}
