/*
 * The multiboot information: the command line, the modules (a newc cpio
 * archive is listed entry by entry) and the memory map the RAM checks use.
 */
#include "pcdev.h"

#define MBI_FLAG_CMDLINE	(1u << 2)
#define MBI_FLAG_MODS		(1u << 3)
#define MBI_FLAG_MMAP		(1u << 6)
#define MBI_FLAG_LOADER		(1u << 9)

struct mbi {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr, config_table, boot_loader_name;
} __attribute__((packed));

struct mb_module {
	uint32_t start, end, string, reserved;
};

struct mb_mmap {
	uint32_t size;
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

#define MIB		0x100000ull
#define FOUR_G		0x100000000ull

static const char *cmdline = "";
static uint64_t ram_total, ram_end_below_4g, ram_above_4g;

uint64_t mbi_ram_total(void) { return ram_total; }
uint64_t mbi_ram_end_below_4g(void) { return ram_end_below_4g; }
uint64_t mbi_ram_above_4g(void) { return ram_above_4g; }

/* Is word one of the blank-separated arguments after argv[0]? */
int cmdline_has(const char *word)
{
	size_t n = strlen(word);
	const char *p = cmdline;
	int first = 1;

	while (*p) {
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ')
			p++;
		if (!first && (size_t)(p - s) == n && memcmp(s, word, n) == 0)
			return 1;
		first = 0;
	}
	return 0;
}

static uint32_t hex_field(const char *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		char ch = p[i];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v |= ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v |= ch - 'A' + 10;
		else
			return ~0u;
	}
	return v;
}

#define CPIO_HEADER	110
#define CPIO_FILESIZE	54
#define CPIO_NAMESIZE	94

/* Lists a newc archive: "cpio: NAME (SIZE bytes)" per entry until the trailer. */
static void list_cpio(const char *base, uint64_t size)
{
	struct check c;
	uint64_t off = 0;
	unsigned entries = 0;
	int trailer = 0;

	check_begin(&c, "module 0 is a newc cpio archive ending in its trailer");
	while (off + CPIO_HEADER <= size) {
		const char *h = base + off;
		if (memcmp(h, "070701", 6) != 0) {
			check_true(&c, "bad entry magic", 0);
			break;
		}
		uint32_t filesize = hex_field(h + CPIO_FILESIZE);
		uint32_t namesize = hex_field(h + CPIO_NAMESIZE);
		if (filesize == ~0u || namesize == ~0u || namesize == 0 ||
		    off + CPIO_HEADER + namesize > size) {
			check_true(&c, "bad header field", 0);
			break;
		}
		const char *name = h + CPIO_HEADER;
		if (name[namesize - 1] != '\0') {
			check_true(&c, "name not NUL-terminated", 0);
			break;
		}
		if (strlen(name) == 10 && memcmp(name, "TRAILER!!!", 10) == 0) {
			trailer = 1;
			break;
		}
		kprintf("cpio: %s (%u bytes)\n", name, filesize);
		entries++;
		off = (off + CPIO_HEADER + namesize + 3) & ~3ull;
		off = (off + filesize + 3) & ~3ull;
	}
	check_true(&c, "no trailer", trailer);
	check_end(&c);
	kprintf("cpio: %u entries\n", entries);
}

void boot_info_report(uint32_t mbi_addr)
{
	const struct mbi *mbi = (const struct mbi *)(uint64_t)mbi_addr;

	if (mbi->flags & MBI_FLAG_CMDLINE)
		cmdline = (const char *)(uint64_t)mbi->cmdline;
	kprintf("cmdline: %s\n", cmdline);
	if (mbi->flags & MBI_FLAG_LOADER)
		kprintf("boot loader: %s\n", (const char *)(uint64_t)mbi->boot_loader_name);

	if ((mbi->flags & MBI_FLAG_MODS) && mbi->mods_count > 0) {
		const struct mb_module *mods = (const struct mb_module *)(uint64_t)mbi->mods_addr;
		kprintf("modules: %u\n", mbi->mods_count);
		for (uint32_t i = 0; i < mbi->mods_count; i++) {
			const unsigned char *data = (const unsigned char *)(uint64_t)mods[i].start;
			uint32_t size = mods[i].end - mods[i].start;
			kprintf("module %u: %u bytes at 0x%x, first bytes:", i, size, mods[i].start);
			for (uint32_t j = 0; j < size && j < 16; j++)
				kprintf(" %02x", data[j]);
			kprintf("\n");
			kprintf("module %u string: %s\n", i, (const char *)(uint64_t)mods[i].string);
			if (i == 0 && size >= 6 && memcmp(data, "070701", 6) == 0)
				list_cpio((const char *)data, size);
		}
	}

	if (mbi->flags & MBI_FLAG_MMAP) {
		uint64_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
		while (p < end) {
			const struct mb_mmap *e = (const struct mb_mmap *)p;
			if (e->type == 1) {
				uint64_t lo = e->addr, hi = e->addr + e->len;
				if (hi > MIB)
					ram_total += hi - (lo > MIB ? lo : MIB);
				if (lo >= FOUR_G)
					ram_above_4g += e->len;
				else if (hi > ram_end_below_4g)
					ram_end_below_4g = hi < FOUR_G ? hi : FOUR_G;
			}
			p += e->size + 4;
		}
		/*
		 * The firmware keeps the top of low RAM for itself and reports it reserved
		 * (SeaBIOS: 128 KiB); it is still RAM to CMOS and fw_cfg.
		 */
		for (p = mbi->mmap_addr; p < end; p += ((const struct mb_mmap *)p)->size + 4) {
			const struct mb_mmap *e = (const struct mb_mmap *)p;
			if (e->type != 1 && e->addr == ram_end_below_4g && e->len <= 0x100000) {
				ram_total += e->len;
				ram_end_below_4g += e->len;
				kprintf("memory map: %lu KiB reserved by the firmware at the top of low RAM\n",
					(unsigned long)(e->len >> 10));
				break;
			}
		}
		/* QEMU's RAM size counts the first MiB whole (low RAM, VGA hole, BIOS) */
		ram_total += MIB;
		kprintf("memory map: %lu KiB of RAM (first MiB counted whole)\n", ram_total >> 10);
	}
}
