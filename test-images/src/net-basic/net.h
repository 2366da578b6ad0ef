/*
 * net-basic: a legacy virtio-net driver and a small IPv4 stack (ARP, DHCP
 * client, ICMP echo, UDP echo, a TCP server for HTTP/1.0), reported over
 * COM1 as PASS/FAIL lines.
 */
#ifndef NET_BASIC_H
#define NET_BASIC_H

#include "io.h"


static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

/* big-endian fields in packets */
static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* ---- checks and time (main.c) ---- */
void pass(const char *name);
void fail(const char *name);	/* after printing "FAIL name: details" itself, or not */
extern unsigned checks_passed, checks_failed;
uint64_t now_us(void);

/* ---- virtio-net (virtio.c) ---- */
#define ETH_MAX		1514
extern uint8_t my_mac[6];
extern unsigned virtio_irq_line;
extern volatile unsigned virtio_irqs;
int virtio_net_init(void);		/* 0 on success */
int virtio_link_up(void);
int net_poll(void);			/* frames handled */
int net_rx_pending(void);
uint8_t *tx_begin(void);		/* room for one frame of up to ETH_MAX bytes */
void tx_commit(unsigned len);
void irq_setup(void);			/* IDT, PIC, IRQ line of the NIC */
void net_idle(void);			/* halt until an interrupt when they work, else pause */
extern int use_halt;

/* ---- stack (stack.c) ---- */
#define IP(a, b, c, d)	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
extern uint32_t my_ip, gw_ip, dhcp_server;
extern uint8_t gw_mac[6];
extern int gw_mac_known, dhcp_bound, ping_ok, quit_requested;
extern unsigned http_served, http_conns, tcp_dups, tcp_resets, udp_echoed, tcp_syn_dropped;
void eth_input(uint8_t *frame, unsigned len);
void dhcp_send_discover(void);
void dhcp_restart(void);
void arp_request(uint32_t ip);
void ping_send(uint32_t ip, uint16_t seq);
unsigned tcp_active(void);
void http_init(void);

#define HTTP_PORT	80
#define ECHO_PORT	7
#define BODY_LEN	20000u

#endif
