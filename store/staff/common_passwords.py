"""Passwords too common to accept: leaked-list favourites, Chinese ones included (lower case)."""

from __future__ import annotations

# One a line; compared with the new password in lower case. Shorter ones are refused by length
# anyway but stay listed, so the list reads as what people really choose.
_LIST = """
123456 123456789 12345678 1234567890 12345678910 1234567890a 123456789a 123456789q
12345678a 1234567a 123456a 123456aa 123123 123123123 1231231231 123321 1234554321
11111111 111111111 1111111111 000000000 0000000000 88888888 888888888 8888888888
66666666 666666666 6666666666 99999999 999999999 9999999999 147258369 1472583690
159357258 1314520520 5201314520 520131400 5211314521 1314521521 5201314 52013145201314
woaini1314 woaini520 woaini123 woaini1234 woaini12345 woaiwojia woaizhongguo iloveyou1314
iloveyou123 iloveyou iloveyou1 iloveyou12 ilovechina ilovechina1 woainilaopo woainilaogong
qwertyuiop qwertyuiop1 qwertyuiop123 qwerty123456 qwerty1234 qwerty12345 qwe123456
qwe1234567 qweasdzxc qweasdzxc123 qazwsxedc qazwsxedcrfv 1qaz2wsx 1qaz2wsx3edc
1qaz2wsx3edc4rfv 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1q2w3e4r5t6y7u8i9o0p zaq12wsx zaq1xsw2
zxcvbnm123 zxcvbnm1234 asdfghjkl asdfghjkl123 asdf1234 asdfasdf asdfasdfasdf a1b2c3d4e5
a123456789 aa123456789 abc123456 abc1234567 abc123456789 abcd123456 abcd1234567
abcdefghij abcdefg123 a1234567890 aaa123456 aaaa1111 aaaaaaaaaa password password1
password12 password123 password1234 passw0rd passw0rd123 p@ssw0rd p@ssword p@ssw0rd123
password! password@123 admin123 admin1234 admin12345 admin123456 administrator
administrator1 admin@123 admin@1234 root123456 root@123 test123456 test12345678
welcome123 welcome1234 letmein123 changeme123 default123 guest12345 user123456
dragon123456 monkey123456 sunshine123 princess123 football123 baseball123 superman123
trustno1234 master123456 shadow123456 michael123 jennifer123 whatever123 freedom123
computer123 internet123 starwars123 pokemon123 batman123456 hello12345 hello123456
helloworld helloworld1 helloworld123 nihao123456 nihao12345 woshishui woshishui123
zhangwei123 zhangwei1234 wangwei123 liwei123456 wang123456 zhang123456 li123456789
chen123456 liu123456 yang123456 huang123456 zhao123456 wu123456789 zhou123456
xiaoming123 xiaohong123 beijing123 beijing2008 shanghai123 guangzhou123 shenzhen123
zhongguo123 zhongguo1234 china123456 china12345 chinese123 wangyi123 baidu123456
tencent123 qq123456789 qq1234567890 qwer1234qwer 7758521 775852100 7758258
5845201314 3344520 1314woaini 520woaini aini1314 aini1314520 lovelove lovelove123
love1314520 love123456 loveyou1314 shuang123 xingfu123 kuaile123 pingan123456
fuqi1314 jiayou123 haoren123 tiantian123 mima123456 mima12345678 wodemima
wodemima123 mimamima shouji123456 weixin123 weixin123456 juweihui123 shequ123456
jiedao123456 wangge123456 gongzuo123 bangong123 bangong1234 linli123456 linli12345678
"""

COMMON = frozenset(_LIST.split())
