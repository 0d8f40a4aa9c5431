package dev.paird.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SdNotify} against a datagram socket standing where systemd's notify socket would. */
final class SdNotifyTest {
  @TempDir Path dir;
  private EventLoopGroup group;

  @BeforeEach
  void startEventLoop() {
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  }

  @AfterEach
  void stopEventLoop() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void send_ready_arrivesAsOneDatagram() throws Exception {
    Path socket = dir.resolve("notify");
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    Channel systemd =
        new Bootstrap()
            .group(group)
            .channel(EpollDomainDatagramChannel.class)
            .handler(
                new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                  @Override
                  protected void channelRead0(
                      ChannelHandlerContext ctx, DomainDatagramPacket packet) {
                    received.add(packet.content().toString(StandardCharsets.UTF_8));
                  }
                })
            .bind(new DomainSocketAddress(socket.toString()))
            .sync()
            .channel();
    try {
      new SdNotify(Optional.of(socket.toString()), group).send("READY=1\nSTATUS=serving x");

      assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("READY=1\nSTATUS=serving x");
    } finally {
      systemd.close().sync();
    }
  }

  @Test
  void send_nobodyListening_reportsItWasNotDelivered() {
    SdNotify notify = new SdNotify(Optional.of(dir.resolve("missing").toString()), group);

    assertThat(notify.send("READY=1")).isFalse();
  }
}
