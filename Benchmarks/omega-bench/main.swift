import Jail
print("bench")
