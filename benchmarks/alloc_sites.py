import sys, re, collections
skip = re.compile(r'malloc|swift_slowAlloc|swift_allocObject|swift_allocBox|_allocateUninitialized|allocateBuffer|_ContiguousArrayBuffer|ManagedBuffer|swift_allocEmptyBox|operator new|_StringGuts|_StringObject|String\.init|ByteBufferAllocator|ByteBuffer\._Storage|_Storage\.allocate|reallocate|_copyContents|_growIfNeeded|_createNewBuffer|_makeMutableAndUnique|_copyToNewBuffer|append|reserveCapacity|__allocating_init|swift_retain|specialized Array|Array\.|ContiguousArray|_ArrayBuffer|_StringStorage|_SmallString|String\(|Substring|ByteBuffer\.(init|_Storage|reserveCapacity|writeBytes|writeString|_set)')
counts = collections.Counter(); total=0
sample=[]
def flush():
    global total
    if not sample: return
    total+=1
    frames=[f for f in sample]
    # pick first 2 frames not matching skip
    picked=[f for f in frames if not skip.search(f)][:2]
    counts[" <- ".join(picked)]+=1
for line in sys.stdin:
    line=line.rstrip("\n")
    if not line.strip():
        flush(); sample=[]; continue
    if line.startswith(("\t"," ")):
        m=re.match(r'\s+[0-9a-f]+\s+(.*?)\s+\(', line)
        if m: sample.append(m.group(1))
    else:
        flush(); sample=[]
flush()
for k,v in counts.most_common(40):
    print(f"{100*v/total:5.1f}%  {k[:220]}")
print("samples", total)
