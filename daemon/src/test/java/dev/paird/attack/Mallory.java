package dev.paird.attack;

import dev.paird.identity.DeviceIdentity;
import dev.paird.net.TlsContexts;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The attacker: a device of her own, with her own certificate and key, in the middle between B and
 * A. B reaches her listener believing it is A (how she got there, by ARP or DNS spoofing or a rogue
 * access point, does not matter), and she reaches A as a TLS client. TLS holds on both legs, so
 * each leg carries her certificate where the honest device's would be; the pairing protocol is what
 * has to notice.
 */
final class Mallory implements AutoCloseable {
  private final DeviceIdentity identity;
  private final TlsContexts tls;
  private final EventLoopGroup group;
  private final Channel listener;
  private final BlockingQueue<AttackerConnection> accepted;

  private Mallory(
      DeviceIdentity identity,
      TlsContexts tls,
      EventLoopGroup group,
      Channel listener,
      BlockingQueue<AttackerConnection> accepted) {
    this.identity = identity;
    this.tls = tls;
    this.group = group;
    this.listener = listener;
    this.accepted = accepted;
  }

  /** Generates her identity in {@code dir} and starts her listener on loopback. */
  static Mallory start(Path dir, EventLoopGroup boss, EventLoopGroup group) throws Exception {
    DeviceIdentity identity =
        DeviceIdentity.loadOrGenerate(dir, "mallory", new SecureRandom(), Clock.systemUTC());
    TlsContexts tls = TlsContexts.create(identity);
    BlockingQueue<AttackerConnection> accepted = new LinkedBlockingQueue<>();
    Channel listener =
        new ServerBootstrap()
            .group(boss, group)
            .channel(EpollServerSocketChannel.class)
            .childHandler(AttackerConnection.initializer(tls.server(), false, accepted::add))
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
    return new Mallory(identity, tls, group, listener, accepted);
  }

  String fingerprint() {
    return identity.fingerprint();
  }

  /** Where B is led to connect. */
  InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  /** The next connection a victim made to her listener. */
  AttackerConnection accept() throws InterruptedException {
    AttackerConnection connection =
        accepted.poll(AttackerConnection.WAIT.toSeconds(), TimeUnit.SECONDS);
    if (connection == null) {
      throw new AssertionError("nobody connected to Mallory within " + AttackerConnection.WAIT);
    }
    return connection;
  }

  /** A connection to {@code target} with her own certificate. */
  AttackerConnection connect(InetSocketAddress target) throws Exception {
    BlockingQueue<AttackerConnection> opened = new LinkedBlockingQueue<>();
    new Bootstrap()
        .group(group)
        .channel(EpollSocketChannel.class)
        .handler(AttackerConnection.initializer(tls.client(), true, opened::add))
        .connect(target)
        .sync();
    return opened.remove(); // added when the channel was registered, before it connected
  }

  @Override
  public void close() {
    listener.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
